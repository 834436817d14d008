/**
 * Ledger responses (docs/ledger.md): checkpoints, entries, proofs, verification runs and status.
 * Hashes are base64, as in checkpoints and RFC 9162. Mappers: ledger.controller.ts
 * (`checkpointView`), ledger-verification.service.ts, and the services ledger-status.controller.ts
 * composes.
 */
import { EntryActorView } from './custody.js';
import { DateTime, Index, List, Nullable, StringEnum, Type, type Static } from './schema.js';

const Base64 = (description?: string) =>
  Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', ...(description === undefined ? {} : { description }) });

export const CheckpointView = Type.Object(
  {
    origin: Type.String(),
    treeSize: Index(),
    rootHash: Base64(),
    keyName: Type.String(),
    keyId: Type.String(),
    createdAt: DateTime(),
    note: Type.String({ description: 'The C2SP tlog-checkpoint signed note, with witnesses’ cosignature lines.' }),
    cosignatures: Type.Optional(Index('With witnesses: how many cosigned the served checkpoint.')),
    timestamp: Type.Optional(
      Type.Object(
        {
          token: Base64(),
          genTime: DateTime(),
          tsa: Type.String({ description: 'Subject of the TSA certificate.' }),
          serialNumber: Type.String(),
        },
        {
          description:
            'Once the TSA stamped this checkpoint (LEDGER_TSA_URL): the RFC 3161 TimeStampToken, base64 DER, over SHA-256 of the note body.',
        },
      ),
    ),
  },
  { title: 'CheckpointView' },
);
export type CheckpointView = Static<typeof CheckpointView>;

export const LedgerPublicKey = Type.Object(
  {
    origin: Type.String(),
    keyName: Type.String(),
    keyId: Type.String(),
    algorithm: Type.String(),
    vkey: Type.String({ description: 'Go sumdb/note verifier key.' }),
  },
  { title: 'LedgerPublicKey' },
);
export type LedgerPublicKey = Static<typeof LedgerPublicKey>;

export const LedgerEntries = Type.Object(
  {
    treeSize: Index(),
    entries: List(
      Type.Union([
        Type.Object({
          index: Index(),
          leafHash: Base64(),
          entry: Type.String({ description: 'The canonical entry, exactly as hashed.' }),
          entryBase64: Base64('The same bytes, byte for byte.'),
        }),
        Type.Object({
          index: Index(),
          leafHash: Base64(),
          withheld: Type.Boolean({ description: 'Of a case the caller may not read (ADR 0015).' }),
        }),
      ]),
    ),
  },
  { title: 'LedgerEntries' },
);
export type LedgerEntries = Static<typeof LedgerEntries>;

export const InclusionProof = Type.Object(
  { index: Index(), treeSize: Index(), leafHash: Base64(), rootHash: Base64(), proof: List(Base64()) },
  { title: 'InclusionProof' },
);
export type InclusionProof = Static<typeof InclusionProof>;

export const ConsistencyProof = Type.Object(
  { from: Index(), to: Index(), fromRootHash: Base64(), toRootHash: Base64(), proof: List(Base64()) },
  { title: 'ConsistencyProof' },
);
export type ConsistencyProof = Static<typeof ConsistencyProof>;

export const PersonView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  displayName: Type.String(),
});
export type PersonView = Static<typeof PersonView>;

const SOURCES = ['service', 'cli'] as const;

export const VerificationView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    startedAt: DateTime(),
    finishedAt: DateTime(),
    seconds: Type.Number({ minimum: 0 }),
    deep: Type.Boolean(),
    outcome: StringEnum(['ok', 'failed', 'error'] as const),
    treeSize: Nullable(Index('What an `ok` run verified; null otherwise.')),
    rootHash: Nullable(Type.String()),
    checkpointsVerified: Nullable(Index()),
    itemsChecked: Nullable(Index()),
    failedIndex: Nullable(Index('Where a `failed` run failed (null when not at one entry).')),
    reason: Nullable(Type.String()),
    source: StringEnum(SOURCES),
    requestedBy: Nullable(PersonView),
  },
  { title: 'VerificationView' },
);
export type VerificationView = Static<typeof VerificationView>;

export const RunningView = Type.Object(
  {
    startedAt: Nullable(DateTime('Null when the holder of the lock is not readable by the service’s role.')),
    source: Nullable(StringEnum(SOURCES)),
    requestedBy: Nullable(PersonView),
  },
  { title: 'RunningView' },
);
export type RunningView = Static<typeof RunningView>;

export const StartedView = Type.Object(
  {
    ...RunningView.properties,
    status: StringEnum(['running'] as const),
    deep: Type.Unsafe<true>({ type: 'boolean', enum: [true] }),
  },
  { title: 'StartedView' },
);
export type StartedView = Static<typeof StartedView>;

export const VerificationList = Type.Object(
  { verifications: List(VerificationView), running: Nullable(RunningView) },
  { title: 'VerificationList' },
);
export type VerificationList = Static<typeof VerificationList>;

export const LedgerStatus = Type.Object(
  {
    treeSize: Index(),
    integrity: Type.Object({
      status: StringEnum(['ok', 'failed'] as const),
      verifiedSize: Index(),
      verifiedAt: Nullable(DateTime()),
      failure: Nullable(
        Type.Object({
          index: Nullable(Index()),
          kind: Type.String(),
          summary: Type.String(),
          source: Type.String(),
          at: DateTime(),
        }),
      ),
      writesRefused: Type.Boolean({ description: 'The ledger’s own structure is broken: custody writes are refused.' }),
      checkpointsStopped: Type.Boolean(),
    }),
    signer: Type.Object({
      status: StringEnum(['ok', 'refused'] as const),
      signedSize: Nullable(Index()),
      signedAt: Nullable(DateTime()),
      refusal: Nullable(Type.Object({ reason: Type.String(), at: DateTime() })),
    }),
    witnessing: Type.Object({
      enabled: Type.Boolean(),
      quorum: Index(),
      publishedSize: Nullable(Index()),
      publishedAt: Nullable(DateTime()),
      witnesses: List(
        Type.Object(
          {
            name: Type.String(),
            url: Type.String(),
            vkey: Type.String(),
            status: Type.String(),
            size: Index(),
            reason: Nullable(Type.String()),
            checkedAt: Nullable(DateTime()),
            okAt: Nullable(DateTime()),
          },
          { additionalProperties: true },
        ),
      ),
    }),
    timestamping: Type.Object({
      enabled: Type.Boolean(),
      url: Nullable(Type.String()),
      status: StringEnum(['ok', 'failing', 'unknown'] as const),
      stampedSize: Nullable(Index()),
      genTime: Nullable(DateTime()),
      tsa: Nullable(Type.String()),
      pendingSize: Nullable(Index()),
      lastError: Nullable(Type.Object({ reason: Type.String(), at: DateTime() })),
      checkedAt: Nullable(DateTime()),
    }),
  },
  { title: 'LedgerStatus' },
);
export type LedgerStatus = Static<typeof LedgerStatus>;

/** `report.issued`, looked up by the PDF's SHA-256 (docs/reports.md). Mapper: reports.service.ts. */
export const ReportRecord = Type.Object(
  {
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    format: Type.String(),
    issuedAt: DateTime(),
    issuedBy: Nullable(EntryActorView),
    subject: Type.Object({ type: Type.String(), id: Type.String(), number: Nullable(Type.String()) }),
    case: Nullable(Type.Object({ id: Type.String({ format: 'uuid' }), number: Type.String() })),
    ledgerIndex: Index(),
    recordedAt: DateTime('When the ledger recorded the `report.issued` entry.'),
    bundleSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    checkpoint: Type.Object({ treeSize: Index(), rootHash: Type.String() }),
    pages: Index(),
    language: Type.String({ description: 'BCP 47 tag of the language the report is written in (ADR 0073).' }),
  },
  { title: 'ReportRecord' },
);
export type ReportRecord = Static<typeof ReportRecord>;
