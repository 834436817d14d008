import { randomBytes } from 'node:crypto';

import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { luhnCheckDigit } from '../../src/custody/evidence-fields.js';
import type { ItemView } from '../../src/custody/item-records.js';
import type { TransferView } from '../../src/custody/transfers.service.js';
import { bearer, FACTORY_PASSWORD, type Session } from './identity.factory.js';

/**
 * Custody data is made through the API, as users make it: every item and transfer then has its
 * ledger entries, and `custos ledger verify` can replay the result.
 */

/** A valid IMEI (Luhn) with a random body, so items of one test do not collide. */
export function randomImei(): string {
  const body = `35${Array.from(randomBytes(12), (b) => String(b % 10)).join('')}`;
  return body + luhnCheckDigit(body);
}

export function usernameOf(session: Session): string {
  return session.user.username as string;
}

export function signature(meaning: string, password = FACTORY_PASSWORD): { password: string; meaning: string } {
  return { password, meaning };
}

export function phone(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'mobile_phone',
    description: 'Black smartphone, cracked screen, blue silicone case',
    make: 'Samsung',
    model: 'Galaxy S21 (SM-G991B)',
    serial: `R58R${randomBytes(4).toString('hex').toUpperCase()}`,
    imeis: [randomImei()],
    powerState: 'airplane',
    sealNumber: `SEAL-${randomBytes(3).toString('hex').toUpperCase()}`,
    occurredAt: '2026-11-20T09:14:00+01:00',
    place: 'Calle Mayor 12, Madrid — bedroom',
    seizedFrom: 'Exhibit schedule line 1',
    legalAuthority: 'JI-7 Madrid, auto 118/2026',
    ...overrides,
  };
}

export function hardDrive(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'hard_drive',
    description: '3.5" SATA drive, 2 TB, removed from tower PC',
    make: 'Seagate',
    model: 'ST2000DM008',
    serial: `ZFL${randomBytes(4).toString('hex').toUpperCase()}`,
    capacityBytes: 2_000_398_934_016,
    sealNumber: `SEAL-${randomBytes(3).toString('hex').toUpperCase()}`,
    occurredAt: '2026-11-20T09:40:00+01:00',
    place: 'Calle Mayor 12, Madrid — study',
    ...overrides,
  };
}

export async function seize(
  app: NestExpressApplication,
  officer: Session,
  caseId: string,
  items: Array<Record<string, unknown>>,
): Promise<ItemView[]> {
  const response = await request(app.getHttpServer())
    .post(`/api/v1/cases/${caseId}/items`)
    .set(bearer(officer))
    .send({ items });
  if (response.status !== 201) throw new Error(`seizure failed: ${response.status} ${JSON.stringify(response.body)}`);
  return (response.body as { items: ItemView[] }).items;
}

export async function release(
  app: NestExpressApplication,
  from: Session,
  itemIds: readonly string[],
  to: Session | string,
  purpose = 'Forensic examination',
): Promise<TransferView> {
  const response = await request(app.getHttpServer())
    .post('/api/v1/transfers')
    .set(bearer(from))
    .send({ itemIds, to: typeof to === 'string' ? to : usernameOf(to), purpose, signature: signature('released') });
  if (response.status !== 201) throw new Error(`release failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as TransferView;
}

export async function accept(
  app: NestExpressApplication,
  receiver: Session,
  transfer: TransferView,
  options: {
    location?: string;
    statements?: Record<string, { sealIntact?: boolean; sealNote?: string; hashes?: unknown[] }>;
  } = {},
): Promise<TransferView> {
  const response = await request(app.getHttpServer())
    .post(`/api/v1/transfers/${transfer.id}/accept`)
    .set(bearer(receiver))
    .send({
      items: transfer.items.map((item) => ({
        itemId: item.id,
        sealIntact: true,
        ...(options.statements?.[item.id] ?? {}),
      })),
      ...(options.location === undefined ? {} : { location: options.location }),
      signature: signature('received'),
    });
  if (response.status !== 200)
    throw new Error(`acceptance failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as TransferView;
}

/** Records hashes of an item as its custodian (`signature` when the record is a reference). */
export async function recordHashes(
  app: NestExpressApplication,
  session: Session,
  itemId: string,
  body: Record<string, unknown>,
): Promise<{ item: ItemView }> {
  const response = await request(app.getHttpServer())
    .post(`/api/v1/items/${itemId}/hashes`)
    .set(bearer(session))
    .send(body);
  if (response.status !== 201)
    throw new Error(`hash record failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { item: ItemView };
}

/** An examiner registers the E01 image of a drive they hold, with its acquisition SHA-256 (signed `acquired`). */
export async function registerImage(
  app: NestExpressApplication,
  examiner: Session,
  caseId: string,
  parentId: string,
  imageSha256: string,
): Promise<ItemView> {
  const response = await request(app.getHttpServer())
    .post(`/api/v1/cases/${caseId}/items`)
    .set(bearer(examiner))
    .send({
      items: [
        {
          kind: 'forensic_image',
          description: 'E01 image of the Seagate drive',
          parentId,
          occurredAt: '2026-11-22T13:30:00-03:00',
          place: 'PFA forensic lab, Buenos Aires',
          acquisition: {
            tool: 'Guymager',
            toolVersion: '0.8.13',
            target: 'image.e01',
            hashes: [{ algorithm: 'sha256', value: imageSha256 }],
          },
        },
      ],
      signature: signature('acquired'),
    });
  if (response.status !== 201)
    throw new Error(`image registration failed: ${response.status} ${JSON.stringify(response.body)}`);
  return (response.body as { items: ItemView[] }).items[0];
}
