/**
 * The remaining responses: health (docs/operations.md), the access log (docs/access-control.md) and
 * log imports (docs/hash-import.md). Mappers: health.controller.ts, access-log.service.ts,
 * hash-imports.service.ts.
 */
import { HashRecordView, ItemView } from './custody.js';
import { DateTime, List, Nullable, StringEnum, Type, type Static } from './schema.js';

export const Liveness = Type.Object({ status: StringEnum(['ok'] as const) }, { title: 'Liveness' });

/** @nestjs/terminus's HealthCheckResult: each check under `info` (up), `error` (down) and `details`. */
const Checks = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });
export const Readiness = Type.Object(
  { status: Type.String(), info: Type.Optional(Checks), error: Type.Optional(Checks), details: Checks },
  { title: 'Readiness' },
);

export const AccessLogView = Type.Object(
  {
    id: Type.String(),
    occurredAt: DateTime(),
    event: Type.String(),
    outcome: Type.String(),
    actor: Type.Object({
      id: Nullable(Type.String()),
      username: Nullable(Type.String()),
      agencyId: Nullable(Type.String()),
    }),
    subject: Nullable(
      Type.Object({
        type: Type.String(),
        id: Type.String(),
        label: Nullable(Type.String()),
        agencyId: Nullable(Type.String()),
      }),
    ),
    caseId: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    requestId: Nullable(Type.String()),
    details: Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
  },
  { title: 'AccessLogView' },
);
export type AccessLogView = Static<typeof AccessLogView>;

export const AccessLogPage = Type.Object(
  { entries: List(AccessLogView), nextCursor: Nullable(Type.String()) },
  { title: 'AccessLogPage' },
);

const HashRecordSource = Type.Object({
  format: Type.String(),
  tool: Type.String(),
  toolVersion: Nullable(Type.String()),
  logSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  caseNumber: Nullable(Type.String()),
  evidenceNumber: Nullable(Type.String()),
  startedAt: Nullable(DateTime()),
  endedAt: Nullable(DateTime()),
  timeZoneAssumed: Nullable(Type.String()),
  reportedResult: Type.String({ description: '`verified`, `failed` or `not_reported`.' }),
  device: Nullable(Type.Object({ model: Nullable(Type.String()), serial: Nullable(Type.String()) })),
  confirmed: List(Type.String()),
});

export const ImportPreview = Type.Object(
  {
    format: Type.String(),
    formatLabel: Type.String(),
    target: Type.String(),
    role: StringEnum(['reference', 'verification'] as const),
    occurredAt: DateTime(),
    timeZoneAssumed: Nullable(Type.String()),
    values: List(Type.Object({ algorithm: Type.String(), value: Type.String(), result: Type.Optional(Type.String()) })),
    weak: Type.Boolean(),
    warnings: List(Type.Object({ code: Type.String(), message: Type.String() })),
    examiner: Nullable(Type.String({ description: 'The examiner the log names: shown, not recorded.' })),
    source: HashRecordSource,
  },
  { title: 'ImportPreview' },
);
export type ImportPreview = Static<typeof ImportPreview>;

export const ImportResult = Type.Union(
  [
    Type.Object({ dryRun: Type.Unsafe<true>({ type: 'boolean', enum: [true] }), import: ImportPreview }),
    Type.Object({
      dryRun: Type.Unsafe<false>({ type: 'boolean', enum: [false] }),
      import: ImportPreview,
      item: ItemView,
      records: List(HashRecordView),
    }),
  ],
  { title: 'ImportResult' },
);
export type ImportResult = Static<typeof ImportResult>;
