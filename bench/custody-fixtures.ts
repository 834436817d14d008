import { createHash } from 'node:crypto';

import type { ItemView } from '../src/custody/item-records.js';
import { inParallel, type BenchApi } from './support.js';

/** What the custody benchmarks seize and hash: valid in form, made up. */
export function benchItem(n: number): Record<string, unknown> {
  return {
    kind: 'hard_drive',
    description: '3.5" SATA drive, 2 TB, removed from tower PC',
    make: 'Seagate',
    model: 'ST2000DM008',
    serial: `ZFL${String(n).padStart(8, '0')}`,
    capacityBytes: 2_000_398_934_016,
    sealNumber: `SEAL-B-${String(n).padStart(6, '0')}`,
    occurredAt: '2026-11-20T09:40:00+01:00',
    place: 'Calle Mayor 12, Madrid — study',
    location: 'Madrid/HQ/Room 2/Shelf B',
  };
}

export const imageDigest = (n: number): string => createHash('sha256').update(`custos bench image ${n}`).digest('hex');

/** The body of an unsigned hash verification of `image.e01` that matches the reference of `benchItem(n)`. */
export function verificationBody(n: number): Record<string, unknown> {
  return {
    target: 'image.e01',
    hashes: [{ algorithm: 'sha256', value: imageDigest(n) }],
    tool: 'ewfverify',
    toolVersion: '20140814',
    occurredAt: '2026-11-28T10:00:00+01:00',
  };
}

/** A case of the user's agency with `count` seized items (200 per request, the API's maximum). */
export async function caseWithItems(
  api: BenchApi,
  token: string,
  caseNumber: string,
  count: number,
): Promise<{ caseId: string; items: ItemView[] }> {
  const kase = await api.call<{ id: string }>(token, 'POST', '/api/v1/cases', {
    caseNumber,
    title: `Benchmark ${caseNumber}`,
  });
  const items: ItemView[] = [];
  for (let first = 0; first < count; first += 200) {
    const batch = Array.from({ length: Math.min(200, count - first) }, (_, i) => benchItem(first + i));
    items.push(
      ...(await api.call<{ items: ItemView[] }>(token, 'POST', `/api/v1/cases/${kase.id}/items`, { items: batch }))
        .items,
    );
  }
  return { caseId: kase.id, items };
}

/** The signed reference of `image.e01` for each item (what every later verification is compared with). */
export async function recordReferences(
  api: BenchApi,
  token: string,
  password: string,
  items: readonly ItemView[],
): Promise<void> {
  await inParallel(items.length, 4, async (n) => {
    await api.call(token, 'POST', `/api/v1/items/${items[n].id}/hashes`, {
      ...verificationBody(n),
      signature: { password, meaning: 'acquired' },
    });
  });
}
