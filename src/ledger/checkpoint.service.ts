import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { NotFoundError } from '../common/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { signBundleStatement, signCheckpoint, verifyConsistency, type BundleStatement } from './core/index.js';
import type { LedgerKey } from './ledger-key.js';
import { LedgerIntegrityError } from './ledger.errors.js';
import { LedgerService } from './ledger.service.js';
import { LEDGER_KEY } from './ledger.tokens.js';

export interface StoredCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly origin: string;
  readonly keyName: string;
  readonly keyId: string;
  readonly note: string;
  readonly createdAt: Date;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  origin: string;
  key_name: string;
  key_id: string;
  note: string;
  created_at: Date;
}

const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({
  treeSize: Number(row.tree_size),
  rootHash: row.root_hash,
  origin: row.origin,
  keyName: row.key_name,
  keyId: row.key_id,
  note: row.note,
  createdAt: row.created_at,
});

/**
 * Signs C2SP tlog-checkpoints of the ledger: at least every LEDGER_CHECKPOINT_SECONDS while entries
 * arrive, and on demand. Every checkpoint is kept (append-only, one per tree size). Before signing,
 * the new tree is proven consistent with the latest signed checkpoint, so the service never signs
 * two checkpoints that contradict each other — a rewritten table stops checkpointing loudly.
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CheckpointService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    @Inject(LEDGER_KEY) private readonly key: LedgerKey,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.checkpointIfGrown()
        .catch((error: unknown) => this.logger.error({ err: error }, 'ledger checkpoint failed'))
        .finally(() => (this.running = undefined));
    }, this.config.ledgerCheckpointSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  publicKey(): Record<string, string> {
    return {
      origin: this.config.ledgerOrigin,
      keyName: this.key.signer.name,
      keyId: this.key.keyIdHex,
      algorithm: 'Ed25519',
      vkey: this.key.verifierKey,
    };
  }

  /**
   * Signs a custody bundle's statement (docs/bundle-format.md) with the ledger's key. Its first line
   * is the bundle format, never an origin, so no statement can be taken for a checkpoint.
   */
  signBundleStatement(statement: BundleStatement): string {
    return signBundleStatement(statement, this.key.signer);
  }

  async latest(): Promise<StoredCheckpoint> {
    const [row] = await this.dataSource.query<CheckpointRow[]>(
      'SELECT * FROM ledger_checkpoint ORDER BY tree_size DESC LIMIT 1',
    );
    return row ? toCheckpoint(row) : this.checkpointNow();
  }

  async atSize(treeSize: number): Promise<StoredCheckpoint> {
    const [row] = await this.dataSource.query<CheckpointRow[]>('SELECT * FROM ledger_checkpoint WHERE tree_size = $1', [
      treeSize,
    ]);
    if (!row) throw new NotFoundError(`A checkpoint at tree size ${treeSize}`, 'checkpoint_not_found');
    return toCheckpoint(row);
  }

  /** Signs a checkpoint of the current tree unless the latest one already covers it. */
  async checkpointIfGrown(): Promise<StoredCheckpoint | undefined> {
    const head = await this.ledger.treeHead();
    const [latest] = await this.dataSource.query<Array<{ size: string | null }>>(
      'SELECT max(tree_size) AS size FROM ledger_checkpoint',
    );
    if (latest?.size !== null && latest?.size !== undefined && Number(latest.size) >= head.treeSize) return undefined;
    return this.checkpointNow();
  }

  async checkpointNow(): Promise<StoredCheckpoint> {
    // The ledger monitor raised the integrity alarm (LedgerMonitorService): nothing is signed until
    // a full verification passes.
    const [alarm] = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM ledger_monitor WHERE id = 1 AND status = 'failed'`,
    );
    if (alarm !== undefined)
      throw new LedgerIntegrityError(
        'The ledger failed an integrity check; no checkpoint is signed until a full verification passes.',
      );
    const head = await this.ledger.treeHead();
    // Sign only what is on disk: a crash must never take back a tree someone holds a signature for.
    await this.ledger.durabilityBarrier();
    const [previous] = await this.dataSource.query<CheckpointRow[]>(
      'SELECT * FROM ledger_checkpoint WHERE tree_size <= $1 ORDER BY tree_size DESC LIMIT 1',
      [head.treeSize],
    );
    if (previous && Number(previous.tree_size) === head.treeSize) {
      if (!previous.root_hash.equals(head.rootHash)) {
        throw this.integrityFailure(`the tree of size ${head.treeSize} no longer has the root signed earlier`);
      }
      return toCheckpoint(previous);
    }
    if (previous && Number(previous.tree_size) > 0) {
      const from = Number(previous.tree_size);
      try {
        const proof = await this.ledger.consistencyProof(from, head.treeSize);
        verifyConsistency(from, head.treeSize, proof, previous.root_hash, head.rootHash);
      } catch (error) {
        throw this.integrityFailure(
          `the current tree (size ${head.treeSize}) is not consistent with the checkpoint signed at size ${from}: ${(error as Error).message}`,
        );
      }
    }
    const note = signCheckpoint(
      { origin: this.config.ledgerOrigin, treeSize: head.treeSize, rootHash: head.rootHash },
      this.key.signer,
    );
    // Another process may sign the same tree at the same moment: same size, same root, one row.
    await this.dataSource.query(
      `INSERT INTO ledger_checkpoint (tree_size, root_hash, origin, key_name, key_id, note)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tree_size) DO NOTHING`,
      [head.treeSize, head.rootHash, this.config.ledgerOrigin, this.key.signer.name, this.key.keyIdHex, note],
    );
    return this.atSize(head.treeSize);
  }

  private integrityFailure(message: string): LedgerIntegrityError {
    this.logger.fatal(`LEDGER INTEGRITY FAILURE: ${message}. No checkpoint was signed; run \`custos ledger verify\`.`);
    return new LedgerIntegrityError(
      'The ledger failed an integrity check; no checkpoint was signed. Operators have been alerted.',
    );
  }
}
