import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { NotFoundError } from '../common/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { LedgerPublicKey } from '../contracts/ledger.js';
import { signBundleStatement, signCheckpoint, verifyConsistency, type BundleStatement } from './core/index.js';
import type { LedgerKey } from './ledger-key.js';
import { LedgerIntegrityError } from './ledger.errors.js';
import { LedgerService } from './ledger.service.js';
import { LEDGER_KEY } from './ledger.tokens.js';
import { SignedHeadRecord, type SignedHead } from './signer/signed-head-record.js';

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

/** The signer's part of `GET /ledger/status`: what it last signed, and why it refuses now if it does. */
export interface SignerStatus {
  readonly status: 'ok' | 'refused';
  /** The last head this signer signed, from its own record outside the database. */
  readonly signedSize: number | null;
  readonly signedAt: string | null;
  readonly refusal: { readonly reason: string; readonly at: string } | null;
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
  private readonly signedHead: SignedHeadRecord;
  private refusal: { reason: string; at: string } | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    @Inject(LEDGER_KEY) private readonly key: LedgerKey,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.signedHead = new SignedHeadRecord(config.ledgerSignedHeadFile);
  }

  /** What the signer last signed and whether it refuses to sign the current tree. */
  signerStatus(): SignerStatus {
    let signed: SignedHead | undefined;
    try {
      signed = this.signedHead.read();
    } catch {
      signed = undefined;
    }
    return {
      status: this.refusal ? 'refused' : 'ok',
      signedSize: signed?.treeSize ?? null,
      signedAt: signed?.signedAt ?? null,
      refusal: this.refusal ?? null,
    };
  }

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
    this.key.close?.();
  }

  publicKey(): LedgerPublicKey {
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
    // One signer at a time per record (processes sharing DATA_DIR), and the head read under it: a
    // record larger than the tree then always means the tree lost entries, never a race.
    return this.signedHead.exclusive(() => this.signLocked());
  }

  private async signLocked(): Promise<StoredCheckpoint> {
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
    await this.checkAgainstSignedHead(head.treeSize, head.rootHash);
    const note = signCheckpoint(
      { origin: this.config.ledgerOrigin, treeSize: head.treeSize, rootHash: head.rootHash },
      this.key.signer,
    );
    // The record goes to disk before the signature leaves this function: a crash after it costs a
    // re-signature of the same head, never a second head for a size.
    this.signedHead.write(head.treeSize, head.rootHash);
    this.refusal = undefined;
    // Another process may sign the same tree at the same moment: same size, same root, one row.
    await this.dataSource.query(
      `INSERT INTO ledger_checkpoint (tree_size, root_hash, origin, key_name, key_id, note)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tree_size) DO NOTHING`,
      [head.treeSize, head.rootHash, this.config.ledgerOrigin, this.key.signer.name, this.key.keyIdHex, note],
    );
    return this.atSize(head.treeSize);
  }

  /**
   * The fork guard (ADR 0025): the new head must extend the last one this signer signed, by its own
   * record outside the database — same root at the same size, or an RFC 6962 consistency proof
   * from it. A restored backup or a rewritten tree, even with ledger_checkpoint emptied, cannot pass.
   */
  private async checkAgainstSignedHead(treeSize: number, rootHash: Buffer): Promise<void> {
    let signed: SignedHead | undefined;
    try {
      signed = this.signedHead.read();
    } catch (error) {
      throw this.refuse(`its record of the last signed head cannot be read: ${(error as Error).message}`);
    }
    if (signed === undefined) {
      this.logger.warn(
        `the ledger signer has no record of a signed head at ${this.signedHead.path}; starting one at size ${treeSize}`,
      );
      return;
    }
    if (treeSize < signed.treeSize) {
      throw this.refuse(
        `the ledger holds ${treeSize} entries but this signer already signed a checkpoint of size ${signed.treeSize} ` +
          `(at ${signed.signedAt}): the database was restored from an older state or rewritten`,
      );
    }
    if (treeSize === signed.treeSize) {
      if (!rootHash.equals(signed.rootHash)) {
        throw this.refuse(
          `the tree of size ${treeSize} has root ${rootHash.toString('hex')}, but this signer signed root ` +
            `${signed.rootHash.toString('hex')} for that size: the tree was rewritten`,
        );
      }
      return;
    }
    if (signed.treeSize === 0) return;
    try {
      const proof = await this.ledger.consistencyProof(signed.treeSize, treeSize);
      verifyConsistency(signed.treeSize, treeSize, proof, signed.rootHash, rootHash);
    } catch (error) {
      throw this.refuse(
        `the tree of size ${treeSize} does not extend the head of size ${signed.treeSize} this signer signed: ${(error as Error).message}`,
      );
    }
  }

  private refuse(reason: string): LedgerIntegrityError {
    this.refusal = { reason, at: new Date().toISOString() };
    this.logger.error(`LEDGER SIGNER REFUSED: ${reason}. No checkpoint was signed; run \`custos ledger verify\`.`);
    return new LedgerIntegrityError(
      'The ledger failed an integrity check; no checkpoint was signed. Operators have been alerted.',
    );
  }

  private integrityFailure(message: string): LedgerIntegrityError {
    this.logger.fatal(`LEDGER INTEGRITY FAILURE: ${message}. No checkpoint was signed; run \`custos ledger verify\`.`);
    return new LedgerIntegrityError(
      'The ledger failed an integrity check; no checkpoint was signed. Operators have been alerted.',
    );
  }
}
