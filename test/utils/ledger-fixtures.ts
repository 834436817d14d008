import type { DataSource } from 'typeorm';

import type { LedgerEvent } from '../../src/ledger/core/entry.js';
import type { AppendedEntry, LedgerService } from '../../src/ledger/ledger.service.js';

export const TEST_CONTEXT = { actor: null, requestId: 'test', ip: null } as const;

export function testEvent(n: number, overrides: Partial<LedgerEvent> = {}): LedgerEvent {
  return {
    type: 'test.recorded',
    actor: { id: 'u-1', username: 'officer.garcia', displayName: 'Ana García', agency: 'ES-PN', role: 'officer' },
    subject: {
      type: 'item',
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      number: `ES-PN-2026-${String(n).padStart(6, '0')}`,
    },
    data: { kind: 'mobile_phone', description: `Phone ${n}`, seal: `SEAL-${n}` },
    ...overrides,
  };
}

/** Appends `count` entries, each in its own transaction, as custody changes do. */
export async function appendEntries(
  dataSource: DataSource,
  ledger: LedgerService,
  count: number,
  start = 0,
): Promise<AppendedEntry[]> {
  const appended: AppendedEntry[] = [];
  for (let n = start; n < start + count; n++) {
    appended.push(await ledger.write((em) => ledger.append(em, TEST_CONTEXT, testEvent(n))));
  }
  return appended;
}
