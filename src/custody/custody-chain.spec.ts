import {
  CustodyChainError,
  CustodyReplay,
  isCustodyEvent,
  type CustodyEntry,
  type CustodyReplayOptions,
} from './custody-chain.js';
import {
  CUSTODY_EVENT_TYPES as T,
  type AcceptedItem,
  type HashRecordedData,
  type ItemCorrectedData,
  type ItemDerivedData,
  type ItemDescription,
  type ItemDisposedData,
  type ItemMovedData,
  type ItemRef,
  type ItemSeizedData,
  type PartyRef,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from './custody-events.js';

// People: an officer seizes, an examiner receives, a clerk witnesses; a stranger has no part.
const person = (id: string, agency = 'ES-PN'): PartyRef => ({ id, username: id, displayName: `Agent ${id}`, agency });
const officer = person('officer');
const examiner = person('examiner');
const clerk = person('clerk');
const stranger = person('stranger', 'AR-PFA');

const phone: ItemRef = { id: 'item-phone', number: 'ES-PN-2026-000001' };
const sim: ItemRef = { id: 'item-sim', number: 'ES-PN-2026-000002' };
const image: ItemRef = { id: 'item-image', number: 'ES-PN-2026-000003' };

type Signature = { signerId: string; meaning: string };
const signed = (who: PartyRef, meaning: string): Signature => ({ signerId: who.id, meaning });

function description(parent: ItemRef | null = null): ItemDescription {
  return {
    kind: parent === null ? 'mobile_phone' : 'forensic_image',
    description: 'Black smartphone, cracked screen',
    make: 'Samsung',
    model: 'SM-G991B',
    serial: null,
    imeis: ['490154203237518'],
    iccid: null,
    macAddresses: [],
    capacityBytes: '128000000000',
    condition: 'used',
    powerState: 'off',
    sealNumber: 'SEAL-0001',
    occurredAt: '2026-11-28T09:14:00+01:00',
    place: 'Calle Mayor 1, Madrid',
    seizedFrom: 'RECEIPT-77',
    legalAuthority: 'JI-7 118/2026',
    parent,
  };
}

/** Builds custody entries with gapless indexes, as the ledger would number them. */
class Chain {
  readonly entries: CustodyEntry[] = [];

  private add(
    type: string,
    actor: PartyRef | null,
    subject: CustodyEntry['subject'],
    data: unknown,
    extra: Partial<CustodyEntry> = {},
  ): number {
    const index = this.entries.length;
    this.entries.push({
      index,
      type,
      actor: actor === null ? null : { id: actor.id },
      subject,
      data,
      signatures: [],
      ...extra,
    });
    return index;
  }

  seize(by: PartyRef, item: ItemRef, location: string | null = 'Station locker 4'): number {
    const data: ItemSeizedData = { item: description(), custodian: by, location };
    return this.add(T.seized, by, { type: 'item', ...item }, data);
  }

  derive(by: PartyRef, item: ItemRef, parent: ItemRef, signatures = [signed(by, 'acquired')]): number {
    const data: ItemDerivedData = {
      item: description(parent),
      custodian: by,
      location: 'Lab vault',
      acquisition: { tool: 'FTK Imager', toolVersion: '4.7', method: null },
      hashes: {
        target: 'image.E01',
        occurredAt: '2026-11-29T10:00:00Z',
        values: [{ algorithm: 'sha256', value: 'a'.repeat(64) }],
        weak: false,
      },
    };
    return this.add(T.derived, by, { type: 'item', ...item }, data, { signatures });
  }

  hash(
    by: PartyRef,
    item: ItemRef,
    role: 'reference' | 'verification',
    result?: 'match' | 'mismatch',
    signatures?: Signature[],
  ): number {
    const value = { algorithm: 'sha256', value: 'b'.repeat(64) };
    const data: HashRecordedData = {
      target: 'device',
      role,
      tool: { name: 'sha256sum', version: '9.4' },
      occurredAt: '2026-11-29T11:00:00Z',
      values: [result === undefined ? value : { ...value, result, referenceIndex: 1 }],
    };
    return this.add(T.hashRecorded, by, { type: 'item', ...item }, data, {
      signatures: signatures ?? (role === 'reference' ? [signed(by, 'acquired')] : []),
    });
  }

  move(by: PartyRef, item: ItemRef, to: string): number {
    const data: ItemMovedData = { from: null, to, reason: null };
    return this.add(T.moved, by, { type: 'item', ...item }, data);
  }

  release(
    by: PartyRef,
    transfer: string,
    items: ItemRef[],
    parties = { from: by, to: examiner },
    signatures = [signed(by, 'released')],
    occurredAt?: string,
  ): number {
    const data: TransferReleasedData = {
      ...parties,
      items,
      purpose: 'Forensic examination',
      ...(occurredAt === undefined ? {} : { occurredAt }),
    };
    return this.add(T.released, by, { type: 'transfer', id: transfer }, data, { signatures });
  }

  accept(
    by: PartyRef,
    transfer: string,
    items: Array<ItemRef & Partial<AcceptedItem>>,
    options: {
      parties?: { from: PartyRef; to: PartyRef };
      location?: string | null;
      signatures?: Signature[];
      occurredAt?: unknown;
    } = {},
  ): number {
    const data: TransferAcceptedData = {
      ...(options.parties ?? { from: officer, to: by }),
      items: items.map((item) => ({ sealIntact: true, sealNote: null, hashes: [], ...item })),
      location: options.location === undefined ? 'Lab vault' : options.location,
      ...(options.occurredAt === undefined ? {} : { occurredAt: options.occurredAt as string }),
    };
    return this.add(T.accepted, by, { type: 'transfer', id: transfer }, data, {
      signatures: options.signatures ?? [signed(by, 'received')],
    });
  }

  reject(
    by: PartyRef,
    transfer: string,
    items: ItemRef[],
    parties = { from: officer, to: by },
    signatures = [signed(by, 'rejected')],
  ): number {
    const data: TransferClosedData = { ...parties, items, reason: 'Wrong lab' };
    return this.add(T.rejected, by, { type: 'transfer', id: transfer }, data, { signatures });
  }

  cancel(by: PartyRef, transfer: string, items: ItemRef[], parties = { from: by, to: examiner }): number {
    const data: TransferClosedData = { ...parties, items, reason: null };
    return this.add(T.cancelled, by, { type: 'transfer', id: transfer }, data);
  }

  dispose(
    by: PartyRef,
    item: ItemRef,
    witness: PartyRef,
    signatures = [signed(by, 'disposed'), signed(witness, 'witnessed')],
  ): number {
    const data: ItemDisposedData = {
      disposition: 'destroyed',
      authorityReference: 'JI-7 118/2026 auto 12',
      recipient: null,
      notes: null,
      custodian: by,
      witness,
      occurredAt: '2027-03-01T12:00:00+01:00',
    };
    return this.add(T.disposed, by, { type: 'item', ...item }, data, { signatures });
  }

  correct(
    by: PartyRef,
    item: ItemRef,
    corrects: number,
    changes: ItemCorrectedData['changes'],
    signatures = [signed(by, 'corrected')],
  ): number {
    const data: ItemCorrectedData = { changes };
    return this.add(T.corrected, by, { type: 'item', ...item }, data, {
      signatures,
      corrects: { index: corrects, reason: 'Typing error' },
    });
  }

  other(type: string, by: PartyRef = officer): number {
    return this.add(type, by, { type: 'case', id: 'case-1', number: 'CASE-1' }, { title: 'Operation Nube' });
  }

  replay(options?: CustodyReplayOptions): CustodyReplay {
    const replay = new CustodyReplay(options);
    for (const entry of this.entries) replay.apply(entry);
    return replay;
  }

  /** The error the replay stops with: it must be a CustodyChainError. */
  failure(options?: CustodyReplayOptions): CustodyChainError {
    try {
      this.replay(options);
    } catch (error) {
      if (error instanceof CustodyChainError) return error;
      throw error;
    }
    throw new Error('the chain replayed without an error');
  }
}

describe('CustodyReplay', () => {
  let chain: Chain;
  beforeEach(() => {
    chain = new Chain();
  });

  describe('transfers', () => {
    it('seizure → release → accept: custody passes to the receiver only when they accept', () => {
      const seized = chain.seize(officer, phone);
      const released = chain.release(officer, 't-1', [phone]);
      const replay = new CustodyReplay();
      replay.apply(chain.entries[seized]);
      expect(replay.items.get(phone.id)).toMatchObject({
        custodianId: 'officer',
        state: 'in_custody',
        integrity: 'intact',
        location: 'Station locker 4',
      });
      replay.apply(chain.entries[released]);
      // Until accepted, the item stays in the releasing custodian's custody.
      expect(replay.items.get(phone.id)).toMatchObject({
        custodianId: 'officer',
        state: 'transfer_pending',
        pendingTransfer: 't-1',
      });
      const accepted = chain.accept(examiner, 't-1', [phone]);
      replay.apply(chain.entries[accepted]);
      expect({ ...replay.items.get(phone.id) }).toEqual({
        id: phone.id,
        number: phone.number,
        registeredIndex: seized,
        // Only with a fingerprint function (ledger verify's), and only once corrected.
        fingerprint: '',
        corrections: null,
        custodianId: 'examiner',
        state: 'in_custody',
        integrity: 'intact',
        disposition: null,
        disposedAt: null,
        location: 'Lab vault',
        locationIndex: accepted,
        pendingTransfer: null,
        lastIndex: accepted,
        // Internal: where the item's entries are in the replay's log.
        log: expect.any(Number),
      });
      expect(seized).toBe(0);
    });

    it('one transfer entry is an entry of each of its items', () => {
      chain.seize(officer, phone);
      chain.seize(officer, sim);
      const released = chain.release(officer, 't-1', [phone, sim]);
      const accepted = chain.accept(examiner, 't-1', [phone, sim]);
      // Either item's correction may name the release (for the record; it changes no custody).
      chain.correct(examiner, phone, released, [{ field: 'purpose', from: 'Forensic examination', to: 'Extraction' }]);
      const corrected = chain.correct(examiner, sim, released, [
        { field: 'purpose', from: 'Forensic examination', to: 'Extraction' },
      ]);
      const replay = chain.replay();
      expect(replay.items.get(phone.id)).toMatchObject({ custodianId: 'examiner', lastIndex: accepted + 1 });
      expect(replay.items.get(sim.id)).toMatchObject({ custodianId: 'examiner', lastIndex: corrected });
    });

    it('rejection and cancellation leave custody where it was, and the item can be released again', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      chain.reject(examiner, 't-1', [phone]);
      expect(chain.replay().items.get(phone.id)).toMatchObject({
        custodianId: 'officer',
        state: 'in_custody',
        pendingTransfer: null,
      });
      chain.release(officer, 't-2', [phone]);
      chain.cancel(officer, 't-2', [phone]);
      expect(chain.replay().items.get(phone.id)).toMatchObject({
        custodianId: 'officer',
        state: 'in_custody',
        location: 'Station locker 4',
      });
      chain.release(officer, 't-3', [phone]);
      chain.accept(examiner, 't-3', [phone]);
      expect(chain.replay().items.get(phone.id)).toMatchObject({ custodianId: 'examiner', state: 'in_custody' });
    });

    it('a release by someone who is not the custodian breaks the chain at that entry', () => {
      chain.seize(officer, phone);
      const forged = chain.release(stranger, 't-1', [phone]);
      const error = chain.failure();
      expect(error.index).toBe(forged);
      expect(error.message).toBe(
        `entry ${forged}: release of ES-PN-2026-000001 by stranger, but its custodian is officer`,
      );
    });

    it('a release by a former custodian after the item was handed over breaks the chain', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      chain.accept(examiner, 't-1', [phone]);
      const stale = chain.release(officer, 't-2', [phone], { from: officer, to: clerk });
      expect(chain.failure()).toMatchObject({
        index: stale,
        message: expect.stringMatching(/but its custodian is examiner/),
      });
    });

    it('a release made in another name than the actor, or to oneself, or of an item already pending, is refused', () => {
      chain.seize(officer, phone);
      const other = chain.release(stranger, 't-1', [phone], { from: officer, to: examiner }, [
        signed(officer, 'released'),
      ]);
      expect(chain.failure()).toMatchObject({
        index: other,
        message: expect.stringMatching(/a release is made by the releasing custodian/),
      });

      chain = new Chain();
      chain.seize(officer, phone);
      const self = chain.release(officer, 't-1', [phone], { from: officer, to: officer });
      expect(chain.failure()).toMatchObject({ index: self, message: expect.stringMatching(/two different people/) });

      chain = new Chain();
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      const twice = chain.release(officer, 't-2', [phone], { from: officer, to: clerk });
      expect(chain.failure()).toMatchObject({
        index: twice,
        message: expect.stringMatching(/release of ES-PN-2026-000001 while it is transfer_pending/),
      });
    });

    it('hand-over times: an acceptance stated before its release breaks the chain; entries without them replay', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone], undefined, undefined, '2026-11-24T09:30:00+01:00');
      // The same instant in Buenos Aires' offset is not before it.
      chain.accept(examiner, 't-1', [phone], { occurredAt: '2026-11-24T05:30:00-03:00' });
      expect(chain.replay().items.get(phone.id)).toMatchObject({ custodianId: 'examiner' });

      chain = new Chain();
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone], undefined, undefined, '2026-11-24T09:30:00+01:00');
      const early = chain.accept(examiner, 't-1', [phone], { occurredAt: '2026-11-24T05:29:59-03:00' });
      expect(chain.failure()).toMatchObject({
        index: early,
        message: `entry ${early}: transfer t-1 is received at 2026-11-24T05:29:59-03:00, before its release at 2026-11-24T09:30:00+01:00`,
      });

      // Entries from before ADR 0033 state no time, on either side: nothing to compare.
      chain = new Chain();
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      chain.accept(examiner, 't-1', [phone], { occurredAt: '2026-11-24T05:29:59-03:00' });
      expect(chain.replay().items.get(phone.id)).toMatchObject({ custodianId: 'examiner' });

      chain = new Chain();
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      const malformed = chain.accept(examiner, 't-1', [phone], { occurredAt: '24/11/2026 09:30' });
      expect(chain.failure()).toMatchObject({ index: malformed, message: expect.stringMatching(/not a date-time/) });
    });

    it('a second acceptance of the same transfer breaks the chain', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      chain.accept(examiner, 't-1', [phone]);
      const again = chain.accept(examiner, 't-1', [phone]);
      const error = chain.failure();
      expect(error.index).toBe(again);
      expect(error.message).toMatch(/transfer\.accepted of transfer t-1, which has no pending release/);
    });

    it('an acceptance of an item that is not pending in that transfer breaks the chain', () => {
      chain.seize(officer, phone);
      chain.seize(officer, sim);
      chain.release(officer, 't-1', [phone]);
      const extra = chain.accept(examiner, 't-1', [phone, sim]);
      expect(chain.failure()).toMatchObject({
        index: extra,
        message: `entry ${extra}: transfer.accepted of ES-PN-2026-000002, which is not pending in transfer t-1`,
      });

      // Nor may one item be counted twice.
      chain = new Chain();
      chain.seize(officer, phone);
      chain.seize(officer, sim);
      chain.release(officer, 't-1', [phone, sim]);
      const twice = chain.accept(examiner, 't-1', [phone, phone]);
      expect(chain.failure()).toMatchObject({
        index: twice,
        message: expect.stringMatching(/not pending in transfer t-1/),
      });
    });

    it('an acceptance of an item pending in another transfer breaks the chain', () => {
      chain.seize(officer, phone);
      chain.seize(officer, sim);
      chain.release(officer, 't-1', [phone]);
      chain.release(officer, 't-2', [sim]);
      const crossed = chain.accept(examiner, 't-1', [sim]);
      expect(chain.failure()).toMatchObject({
        index: crossed,
        message: expect.stringMatching(/ES-PN-2026-000002, which is not pending in transfer t-1/),
      });
    });

    it('only the receiver the release named accepts or rejects', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      // Someone else acting on the receiver's behalf.
      const byOther = chain.accept(stranger, 't-1', [phone], {
        parties: { from: officer, to: examiner },
        signatures: [signed(examiner, 'received')],
      });
      expect(chain.failure()).toMatchObject({
        index: byOther,
        message: expect.stringMatching(/only the named receiver accepts a transfer/),
      });

      // Someone else naming themselves as the receiver, with their own signature.
      chain = new Chain();
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      const forged = chain.accept(stranger, 't-1', [phone]);
      expect(chain.failure()).toMatchObject({
        index: forged,
        message: `entry ${forged}: transfer.accepted names officer → stranger, but transfer t-1 was released by officer to examiner`,
      });

      chain = new Chain();
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      const rejected = chain.reject(stranger, 't-1', [phone]);
      expect(chain.failure()).toMatchObject({
        index: rejected,
        message: expect.stringMatching(/released by officer to examiner/),
      });
    });

    it('only the releasing custodian cancels', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      const byReceiver = chain.cancel(examiner, 't-1', [phone], { from: officer, to: examiner });
      expect(chain.failure()).toMatchObject({
        index: byReceiver,
        message: expect.stringMatching(/only the releasing custodian cancels/),
      });

      chain = new Chain();
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      const forged = chain.cancel(stranger, 't-1', [phone]);
      expect(chain.failure()).toMatchObject({
        index: forged,
        message: expect.stringMatching(/released by officer to examiner/),
      });
    });
  });

  describe('signatures', () => {
    const missing: Array<[meaning: string, build: (chain: Chain) => number]> = [
      [
        'released',
        (c) => {
          c.seize(officer, phone);
          return c.release(officer, 't-1', [phone], undefined, []);
        },
      ],
      [
        'received',
        (c) => {
          c.seize(officer, phone);
          c.release(officer, 't-1', [phone]);
          return c.accept(examiner, 't-1', [phone], { signatures: [] });
        },
      ],
      [
        'rejected',
        (c) => {
          c.seize(officer, phone);
          c.release(officer, 't-1', [phone]);
          return c.reject(examiner, 't-1', [phone], undefined, []);
        },
      ],
      [
        'disposed',
        (c) => {
          c.seize(officer, phone);
          return c.dispose(officer, phone, clerk, [signed(clerk, 'witnessed')]);
        },
      ],
      [
        'witnessed',
        (c) => {
          c.seize(officer, phone);
          return c.dispose(officer, phone, clerk, [signed(officer, 'disposed')]);
        },
      ],
      [
        'acquired',
        (c) => {
          c.seize(officer, phone);
          return c.hash(officer, phone, 'reference', undefined, []);
        },
      ],
      [
        'acquired',
        (c) => {
          c.seize(examiner, phone);
          return c.derive(examiner, image, phone, []);
        },
      ],
      [
        'corrected',
        (c) => {
          const seized = c.seize(officer, phone);
          return c.correct(officer, phone, seized, [{ field: 'make', from: 'Samsung', to: 'Apple' }], []);
        },
      ],
    ];

    it.each(missing)('an entry without its "%s" signature breaks the chain', (meaning, build) => {
      const index = build(chain);
      const error = chain.failure();
      expect(error.index).toBe(index);
      expect(error.message).toMatch(new RegExp(`lacks the "${meaning}" signature of`));
    });

    it('a signature with the right meaning by the wrong person does not count', () => {
      chain.seize(officer, phone);
      const index = chain.release(officer, 't-1', [phone], undefined, [signed(examiner, 'released')]);
      expect(chain.failure()).toMatchObject({
        index,
        message: `entry ${index}: transfer.released lacks the "released" signature of officer`,
      });
    });

    it('a verification hash needs no signature; a signed reference is accepted', () => {
      chain.seize(officer, phone);
      chain.hash(officer, phone, 'reference');
      chain.hash(officer, phone, 'verification', 'match');
      expect(chain.replay().items.get(phone.id)).toMatchObject({ integrity: 'intact', lastIndex: 2 });
    });
  });

  describe('disposal', () => {
    it('is terminal, signed by the custodian and witnessed by someone else', () => {
      chain.seize(officer, phone);
      const disposed = chain.dispose(officer, phone, clerk);
      expect(chain.replay().items.get(phone.id)).toMatchObject({
        state: 'disposed',
        custodianId: 'officer',
        lastIndex: disposed,
      });
    });

    it('a custodian witnessing their own disposal breaks the chain', () => {
      chain.seize(officer, phone);
      const index = chain.dispose(officer, phone, officer);
      expect(chain.failure()).toMatchObject({
        index,
        message: `entry ${index}: the custodian cannot witness their own disposal`,
      });
    });

    it('a disposal by someone who is not the custodian, or while a transfer is pending, breaks the chain', () => {
      chain.seize(officer, phone);
      const byOther = chain.dispose(clerk, phone, examiner, [
        signed(officer, 'disposed'),
        signed(examiner, 'witnessed'),
      ]);
      expect(chain.failure()).toMatchObject({
        index: byOther,
        message: expect.stringMatching(/disposal of ES-PN-2026-000001 by clerk/),
      });

      chain = new Chain();
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      const pending = chain.dispose(officer, phone, clerk);
      expect(chain.failure()).toMatchObject({
        index: pending,
        message: expect.stringMatching(/while it is transfer_pending/),
      });
    });

    const after: Array<[what: string, build: (chain: Chain) => number]> = [
      ['a storage move', (c) => c.move(officer, phone, 'Shelf 9')],
      ['a release', (c) => c.release(officer, 't-1', [phone])],
      ['a hash record', (c) => c.hash(officer, phone, 'verification', 'match')],
      ['a second disposal', (c) => c.dispose(officer, phone, clerk)],
      ['a derivation', (c) => c.derive(officer, image, phone)],
    ];

    it.each(after)('%s after the disposal breaks the chain', (_what, build) => {
      chain.seize(officer, phone);
      chain.dispose(officer, phone, clerk);
      const index = build(chain);
      const error = chain.failure();
      expect(error.index).toBe(index);
      expect(error.message).toMatch(/of ES-PN-2026-000001 after its disposal$/);
    });

    it('a correction of the record is still possible after the disposal (the service allows nothing else)', () => {
      const seized = chain.seize(officer, phone);
      chain.dispose(officer, phone, clerk);
      chain.correct(officer, phone, seized, [{ field: 'serial', from: null, to: 'R58N12345' }]);
      expect(chain.replay().items.get(phone.id)).toMatchObject({ state: 'disposed', lastIndex: 2 });
    });
  });

  describe('integrity', () => {
    it('a hash verification with a mismatch marks the item compromised, and a later match does not restore it', () => {
      chain.seize(officer, phone);
      chain.hash(officer, phone, 'reference');
      chain.hash(officer, phone, 'verification', 'match');
      expect(chain.replay().items.get(phone.id)!.integrity).toBe('intact');
      chain.hash(officer, phone, 'verification', 'mismatch');
      expect(chain.replay().items.get(phone.id)!.integrity).toBe('compromised');
      chain.hash(officer, phone, 'verification', 'match');
      expect(chain.replay().items.get(phone.id)!.integrity).toBe('compromised');
    });

    it('an acceptance with the seal broken marks the item compromised', () => {
      chain.seize(officer, phone);
      chain.seize(officer, sim);
      chain.release(officer, 't-1', [phone, sim]);
      chain.accept(examiner, 't-1', [{ ...phone, sealIntact: false, sealNote: 'bag torn at the top' }, sim]);
      const replay = chain.replay();
      expect(replay.items.get(phone.id)).toMatchObject({ integrity: 'compromised', custodianId: 'examiner' });
      expect(replay.items.get(sim.id)).toMatchObject({ integrity: 'intact', custodianId: 'examiner' });
    });

    it('an acceptance whose re-hash mismatches marks the item compromised', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      chain.accept(examiner, 't-1', [
        {
          ...phone,
          hashes: [
            { target: 'device', algorithm: 'sha256', value: 'c'.repeat(64), result: 'mismatch', referenceIndex: 0 },
          ],
        },
      ]);
      expect(chain.replay().items.get(phone.id)!.integrity).toBe('compromised');
    });
  });

  describe('locations and corrections', () => {
    it('a storage move by the custodian sets the location; by anyone else it breaks the chain', () => {
      chain.seize(officer, phone, null);
      const moved = chain.move(officer, phone, 'Property room, shelf 12');
      expect(chain.replay().items.get(phone.id)).toMatchObject({
        location: 'Property room, shelf 12',
        locationIndex: moved,
      });
      const byOther = chain.move(clerk, phone, 'Shelf 13');
      expect(chain.failure()).toMatchObject({
        index: byOther,
        message: expect.stringMatching(/storage move of ES-PN-2026-000001 by clerk/),
      });
    });

    it('an acceptance sets the location the receiver gives', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      chain.accept(examiner, 't-1', [phone], { location: 'Lab intake' });
      expect(chain.replay().items.get(phone.id)!.location).toBe('Lab intake');
    });

    it('a correction of the latest location-setting entry changes the location; of an older one, only the record', () => {
      chain.seize(officer, phone);
      const first = chain.move(officer, phone, 'Shelf 1');
      const latest = chain.move(officer, phone, 'Shelf 2');
      chain.correct(officer, phone, first, [{ field: 'location', from: 'Shelf 1', to: 'Shelf 1A' }]);
      expect(chain.replay().items.get(phone.id)).toMatchObject({ location: 'Shelf 2', locationIndex: latest });
      chain.correct(officer, phone, latest, [{ field: 'location', from: 'Shelf 2', to: 'Shelf 2B' }]);
      expect(chain.replay().items.get(phone.id)).toMatchObject({ location: 'Shelf 2B', locationIndex: latest });
    });

    it('a correction of the registration changes the location only while no later entry set one', () => {
      const seized = chain.seize(officer, phone, 'Locker 4');
      chain.correct(officer, phone, seized, [{ field: 'location', from: 'Locker 4', to: 'Locker 5' }]);
      expect(chain.replay().items.get(phone.id)!.location).toBe('Locker 5');
      chain.release(officer, 't-1', [phone]);
      chain.accept(examiner, 't-1', [phone]);
      chain.correct(officer, phone, seized, [{ field: 'location', from: 'Locker 5', to: 'Locker 6' }]);
      expect(chain.replay().items.get(phone.id)!.location).toBe('Lab vault');
    });

    it('a correction that corrects nothing, or a later entry, is refused', () => {
      chain.seize(officer, phone);
      chain.entries.push({
        ...chain.entries[0],
        index: 1,
        type: T.corrected,
        data: { changes: [] },
        signatures: [signed(officer, 'corrected')],
      });
      expect(chain.failure()).toMatchObject({
        index: 1,
        message: 'entry 1: a correction must name the entry it corrects',
      });

      chain = new Chain();
      chain.seize(officer, phone);
      const ahead = chain.correct(officer, phone, 5, [{ field: 'make', from: 'Samsung', to: 'Apple' }]);
      expect(chain.failure()).toMatchObject({
        index: ahead,
        message: `entry ${ahead}: correction of entry 5, which is not an entry of ES-PN-2026-000001`,
      });
    });

    it("a correction naming another item's entry, or a non-custody entry, breaks the chain", () => {
      chain.seize(officer, phone);
      const simSeized = chain.seize(officer, sim);
      const wrong = chain.correct(officer, phone, simSeized, [{ field: 'make', from: 'Samsung', to: 'Apple' }]);
      expect(chain.failure()).toMatchObject({
        index: wrong,
        message: `entry ${wrong}: correction of entry ${simSeized}, which is not an entry of ES-PN-2026-000001`,
      });

      chain = new Chain();
      const opened = chain.other('case.opened');
      chain.seize(officer, phone);
      const ofCase = chain.correct(officer, phone, opened, [{ field: 'make', from: 'Samsung', to: 'Apple' }]);
      expect(chain.failure()).toMatchObject({
        index: ofCase,
        message: expect.stringMatching(/correction of entry 0, which is not an entry of/),
      });
    });

    it('a transfer entry is an entry of each of its items for corrections too', () => {
      chain.seize(officer, phone);
      chain.seize(officer, sim);
      chain.release(officer, 't-1', [phone, sim]);
      const accepted = chain.accept(examiner, 't-1', [phone, sim]);
      chain.correct(examiner, sim, accepted, [{ field: 'location', from: 'Lab vault', to: 'Lab vault B' }]);
      const replay = chain.replay();
      expect(replay.items.get(sim.id)!.location).toBe('Lab vault B');
      expect(replay.items.get(phone.id)!.location).toBe('Lab vault');
    });
  });

  describe('registration and derivation', () => {
    it('an item starts in the custody of whoever registers it, once', () => {
      chain.entries.push({
        index: 0,
        type: T.seized,
        actor: { id: 'clerk' },
        subject: { type: 'item', ...phone },
        data: { item: description(), custodian: officer, location: null } satisfies ItemSeizedData,
        signatures: [],
      });
      expect(chain.failure()).toMatchObject({
        index: 0,
        message: 'entry 0: an item starts in the custody of the person who registers it',
      });

      chain = new Chain();
      chain.seize(officer, phone);
      const twice = chain.seize(officer, phone);
      expect(chain.failure()).toMatchObject({
        index: twice,
        message: `entry ${twice}: item item-phone is registered twice`,
      });
    });

    it('a derived item comes from a parent the examiner holds', () => {
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone]);
      chain.accept(examiner, 't-1', [phone]);
      const derived = chain.derive(examiner, image, phone);
      expect(chain.replay().items.get(image.id)).toMatchObject({
        custodianId: 'examiner',
        state: 'in_custody',
        location: 'Lab vault',
        lastIndex: derived,
      });
      // The derivation is an entry of the image, not of the phone it was made from.
      chain.correct(examiner, phone, derived, [{ field: 'make', from: 'Samsung', to: 'Apple' }]);
      expect(chain.failure()).toMatchObject({
        index: derived + 1,
        message: expect.stringMatching(/correction of entry \d+, which is not an entry of ES-PN-2026-000001/),
      });

      chain = new Chain();
      chain.seize(officer, phone);
      const notHeld = chain.derive(examiner, image, phone);
      expect(chain.failure()).toMatchObject({
        index: notHeld,
        message: expect.stringMatching(/derivation of ES-PN-2026-000001 by examiner, but its custodian is officer/),
      });
    });

    it("knows every item's entries across many items (past one chunk of its entry log)", () => {
      const first = chain.seize(officer, phone);
      const replay = new CustodyReplay();
      replay.apply(chain.entries[first]);
      let index = 1;
      for (; index < 70_000; index++) {
        const item = { id: `item-${index}`, number: `ES-PN-2026-${String(index).padStart(6, '0')}` };
        replay.apply({
          index,
          type: T.seized,
          actor: { id: 'officer' },
          subject: { type: 'item', ...item },
          data: { item: description(), custodian: officer, location: null },
        });
      }
      const moved = {
        index: index++,
        type: T.moved,
        actor: { id: 'officer' },
        subject: { type: 'item', ...phone },
        data: { from: null, to: 'Shelf 1', reason: null },
      };
      replay.apply(moved);
      const correction = (index: number, corrects: number, item: ItemRef): CustodyEntry => ({
        index,
        type: T.corrected,
        actor: { id: 'officer' },
        subject: { type: 'item', ...item },
        data: { changes: [{ field: 'location', from: 'Shelf 1', to: 'Shelf 1A' }] },
        signatures: [signed(officer, 'corrected')],
        corrects: { index: corrects, reason: 'Typing error' },
      });
      replay.apply(correction(index++, first, phone));
      replay.apply(correction(index++, moved.index, phone));
      expect(replay.items.get(phone.id)).toMatchObject({ location: 'Shelf 1A', lastIndex: index - 1 });
      expect(replay.items.get('item-69999')!.lastIndex).toBe(69_999);
      expect(() => replay.apply(correction(index, 69_999, phone))).toThrow(
        `entry ${index}: correction of entry 69999, which is not an entry of ES-PN-2026-000001`,
      );
    });

    it('an entry naming an item never registered breaks the chain', () => {
      const moved = chain.move(officer, phone, 'Shelf 1');
      expect(chain.failure()).toMatchObject({
        index: moved,
        message: `entry ${moved}: item.moved names item item-phone, which was never registered`,
      });
    });

    it('an entry whose data lacks what its type needs is a chain error, not a crash', () => {
      chain.entries.push({
        index: 0,
        type: T.seized,
        actor: { id: 'officer' },
        subject: { type: 'item', ...phone },
        data: { kind: 'mobile_phone' },
      });
      const error = chain.failure();
      expect(error.index).toBe(0);
      expect(error.message).toMatch(/^entry 0: malformed item\.seized entry \(/);
    });
  });

  describe('other entries and partial replays', () => {
    it('ignores entries that are not custody events', () => {
      expect(isCustodyEvent('case.opened')).toBe(false);
      expect(isCustodyEvent('transfer.accepted')).toBe(true);
      chain.other('case.opened');
      const seized = chain.seize(officer, phone);
      chain.other('case.shared');
      // Not even a malformed one is looked at.
      chain.entries.push({
        index: 3,
        type: 'hash.verified',
        actor: null,
        subject: { type: 'item', id: phone.id },
        data: null,
      });
      const released = chain.release(officer, 't-1', [phone]);
      expect(seized).toBe(1);
      expect(chain.replay().items.get(phone.id)!.lastIndex).toBe(released);
    });

    it('partial: skips items of a transfer whose registration is not in the bundle', () => {
      // The bundle of the phone: the SIM travelled with it but its registration is elsewhere.
      chain.seize(officer, phone);
      chain.release(officer, 't-1', [phone, sim]);
      chain.accept(examiner, 't-1', [phone, sim]);
      expect(chain.failure()).toMatchObject({
        index: 1,
        message: 'entry 1: transfer.released names item item-sim, which was never registered',
      });
      const replay = chain.replay({ partial: true });
      expect([...replay.items.keys()]).toEqual([phone.id]);
      expect(replay.items.get(phone.id)).toMatchObject({ custodianId: 'examiner', state: 'in_custody', lastIndex: 2 });
    });

    it('partial: a transfer with none of the bundle items, and a correction of an entry outside it, are skipped', () => {
      const seized = chain.seize(officer, phone);
      chain.accept(examiner, 't-elsewhere', [sim]);
      // Entry 40 is outside the bundle (the bundle's entries need not be consecutive).
      chain.correct(officer, phone, 40, [{ field: 'make', from: 'Samsung', to: 'Apple' }]);
      const replay = chain.replay({ partial: true });
      expect(seized).toBe(0);
      expect(replay.items.get(phone.id)!.lastIndex).toBe(2);
      // But an entry inside the bundle that is not the item's is still refused.
      chain.correct(officer, phone, 1, [{ field: 'make', from: 'Samsung', to: 'Apple' }]);
      expect(chain.failure({ partial: true })).toMatchObject({
        index: 3,
        message: expect.stringMatching(/correction of entry 1, which is not an entry of/),
      });
    });
  });
});
