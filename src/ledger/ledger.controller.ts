import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../common/api-response.js';
import { DomainError, NotFoundError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import {
  CheckpointView,
  ConsistencyProof,
  InclusionProof,
  LedgerEntries,
  LedgerPublicKey,
} from '../contracts/ledger.js';
import { Ctx, Public, Roles } from '../identity/auth.decorators.js';
import { CheckpointService, type StoredCheckpoint } from './checkpoint.service.js';
import {
  CheckpointQueryDto,
  ConsistencyProofQueryDto,
  EntriesQueryDto,
  InclusionProofQueryDto,
} from './dto/ledger-query.dto.js';
import { LedgerEntriesService } from './ledger-entries.service.js';
import { LedgerRangeError } from './ledger.errors.js';
import { LedgerService } from './ledger.service.js';
import { LedgerTimestampingService } from './timestamp/ledger-timestamping.service.js';
import { LedgerWitnessingService } from './witnessing/ledger-witnessing.service.js';

const MAX_ENTRIES_PER_PAGE = 1000;
const b64 = (hash: Buffer): string => hash.toString('base64');

function checkpointView(checkpoint: StoredCheckpoint): CheckpointView {
  return {
    origin: checkpoint.origin,
    treeSize: checkpoint.treeSize,
    rootHash: b64(checkpoint.rootHash),
    keyName: checkpoint.keyName,
    keyId: checkpoint.keyId,
    createdAt: checkpoint.createdAt.toISOString(),
    note: checkpoint.note,
  };
}

/**
 * The ledger, read-only over HTTP. Hashes are base64 (as in checkpoints and RFC 9162); entries are
 * served as their canonical bytes exactly as hashed (`entry`, and `entryBase64` byte for byte).
 *
 * Who may read what: the public key and the latest checkpoint are public, so that anyone — another
 * agency, a court, a defence expert — can keep ("witness") checkpoints without an account; that is
 * what makes a later rewrite detectable. Proofs reveal only hashes: any signed-in user. Entries
 * carry custody data: auditors only, and each entry's content only when the auditor may read its
 * case (their agency's cases and those shared with them, ADR 0015); the others are served as index
 * and leaf hash, enough to recompute the tree. Custody roles receive the entries of the cases they
 * may see inside bundles.
 */
@ApiTags('ledger')
@ApiBearerAuth()
@Controller('ledger')
export class LedgerController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly checkpoints: CheckpointService,
    private readonly scopedEntries: LedgerEntriesService,
    private readonly witnessing: LedgerWitnessingService,
    private readonly timestamping: LedgerTimestampingService,
  ) {}

  @Get('checkpoint')
  @ApiJson(200, CheckpointView)
  @Public()
  @ApiOperation({ summary: 'The latest signed checkpoint (C2SP tlog-checkpoint signed note), or one by tree size' })
  async checkpoint(@Query() query: CheckpointQueryDto): Promise<CheckpointView> {
    this.timestamping.requested();
    const view = await this.checkpointOrWitnessed(query);
    const stamp = await this.timestamping.forSize(view.treeSize);
    if (!stamp) return view;
    return {
      ...view,
      timestamp: {
        token: stamp.token.toString('base64'),
        genTime: stamp.genTime.toISOString(),
        tsa: stamp.tsa,
        serialNumber: stamp.serialNumber,
      },
    };
  }

  private async checkpointOrWitnessed(query: CheckpointQueryDto): Promise<CheckpointView> {
    if (this.witnessing.enabled) {
      // With witnesses (docs/witness.md §5) only a checkpoint their quorum cosigned is published,
      // served with their cosignature lines; asking for one also starts a witnessing round.
      this.witnessing.requested();
      if (query.treeSize === undefined) {
        const published = await this.witnessing.published();
        if (!published)
          throw new DomainError('unavailable', 'checkpoint_not_witnessed', 'No checkpoint has been witnessed yet');
        return { ...checkpointView(published), cosignatures: published.cosignatures };
      }
      const checkpoint = await this.checkpoints.atSize(query.treeSize);
      const note = await this.witnessing.witnessedNote(query.treeSize);
      if (!note)
        throw new NotFoundError(`A witnessed checkpoint at tree size ${query.treeSize}`, 'checkpoint_not_witnessed');
      return checkpointView({ ...checkpoint, note });
    }
    const checkpoint =
      query.treeSize === undefined ? await this.checkpoints.latest() : await this.checkpoints.atSize(query.treeSize);
    return checkpointView(checkpoint);
  }

  @Post('checkpoints')
  @ApiJson(201, CheckpointView)
  @Roles('auditor', 'admin')
  @HttpCode(201)
  @ApiOperation({ summary: 'Sign a checkpoint of the current tree now (on demand)' })
  async createCheckpoint(): Promise<CheckpointView> {
    const checkpoint = await this.checkpoints.checkpointNow();
    this.witnessing.kick();
    return checkpointView(checkpoint);
  }

  @Get('public-key')
  @Public()
  @ApiOperation({ summary: 'The checkpoint verifier key (Go sumdb/note vkey format) and origin' })
  @ApiJson(200, LedgerPublicKey)
  publicKey(): LedgerPublicKey {
    return this.checkpoints.publicKey();
  }

  @Get('entries')
  @ApiJson(200, LedgerEntries)
  @Roles('auditor')
  @ApiOperation({
    summary: 'Entries [from, to) with their canonical bytes and leaf hashes (at most 1000)',
    description:
      'An entry about a case the caller may not read (docs/access-control.md) is served as `{ index, leafHash, ' +
      'withheld: true }` without `entry` and `entryBase64`: its leaf hash is all a verifier needs to recompute the tree.',
  })
  async entries(@Ctx() ctx: RequestContext, @Query() query: EntriesQueryDto): Promise<LedgerEntries> {
    if (query.to <= query.from) throw new LedgerRangeError('`to` must be greater than `from`');
    if (query.to - query.from > MAX_ENTRIES_PER_PAGE) {
      throw new LedgerRangeError(`at most ${MAX_ENTRIES_PER_PAGE} entries per request`);
    }
    const head = await this.ledger.treeHead();
    const entries = await this.scopedEntries.entries(ctx, query.from, Math.min(query.to, head.treeSize));
    return {
      treeSize: head.treeSize,
      entries: entries.map((e) =>
        e.bytes === null
          ? { index: e.index, leafHash: b64(e.leafHash), withheld: true }
          : { index: e.index, leafHash: b64(e.leafHash), entry: e.bytes.toString('utf8'), entryBase64: b64(e.bytes) },
      ),
    };
  }

  @Get('proofs/inclusion')
  @ApiJson(200, InclusionProof)
  @ApiOperation({ summary: 'RFC 9162 inclusion proof of entry `index` in the tree of `treeSize`' })
  async inclusion(@Query() query: InclusionProofQueryDto): Promise<InclusionProof> {
    const treeSize = query.treeSize ?? (await this.checkpoints.latest()).treeSize;
    const proof = await this.ledger.inclusionProof(query.index, treeSize);
    const [entry] = await this.ledger.entries(query.index, query.index + 1);
    return {
      index: query.index,
      treeSize,
      leafHash: b64(entry.leafHash),
      rootHash: b64(await this.ledger.rootAt(treeSize)),
      proof: proof.map(b64),
    };
  }

  @Get('proofs/consistency')
  @ApiJson(200, ConsistencyProof)
  @ApiOperation({ summary: 'RFC 9162 consistency proof between tree sizes `from` and `to`' })
  async consistency(@Query() query: ConsistencyProofQueryDto): Promise<ConsistencyProof> {
    const to = query.to ?? (await this.checkpoints.latest()).treeSize;
    if (query.from > to) throw new LedgerRangeError('`from` must not exceed `to`');
    const proof = await this.ledger.consistencyProof(query.from, to);
    return {
      from: query.from,
      to,
      fromRootHash: b64(await this.ledger.rootAt(query.from)),
      toRootHash: b64(await this.ledger.rootAt(to)),
      proof: proof.map(b64),
    };
  }
}
