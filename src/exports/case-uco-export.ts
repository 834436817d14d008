/**
 * A case's custody as a CASE 1.x / UCO 1.x JSON-LD graph (docs/exports.md, ADR 0042), so another
 * agency's tools can ingest it: the case as a case-investigation:Investigation, each item as a
 * uco-observable device (or image) with its identifiers, each custody event as a
 * case-investigation:InvestigativeAction, and per item a chain of case-investigation:ProvenanceRecord
 * nodes — one per custody step, in ledger order — each the result of one action and the object of
 * the next. Hashes are uco-observable:ContentData with uco-types:Hash values; warrants and
 * disposition authorities are case-investigation:Authorization nodes.
 *
 * Pure: case, items and ledger entries in, a JSON-LD document out; the same ledger gives the same
 * document. Every node has an `@id` derived from our ids (stable across exports) and an `@type`.
 */
import { createHash } from 'node:crypto';

import {
  DERIVED_KINDS,
  CUSTODY_EVENT_TYPES as T,
  type HashRecordedData,
  type ItemDerivedData,
  type ItemDisposedData,
  type ItemKind,
  type ItemMovedData,
  type ItemSeizedData,
  type PartyRef,
  type TransferAcceptedData,
  type TransferClosedData,
  type TransferReleasedData,
} from '../custody/custody-events.js';
import type { ItemView } from '../custody/item-records.js';
import type { EntryActor, LedgerEntry } from '../ledger/core/entry.js';
import { custodyRow, partyText, signatureText, type CustodyEntry, type CustodyRowHash } from './custody-csv.js';

export const CASE_INVESTIGATION = 'https://ontology.caseontology.org/case/investigation/';
export const UCO = 'https://ontology.unifiedcyberontology.org/uco/';
/** Our own terms: the ledger handles a recipient needs to match an action to a custody bundle. */
export const CUSTOS_VOCABULARY = 'urn:custos:vocab:';

/** The base of every node IRI: `urn:custos:<ledger origin>:`, so exports of two services never collide. */
export function knowledgeBase(origin: string): string {
  return `urn:custos:${encodeURIComponent(origin).replace(/%2F/gi, '/')}:`;
}

/** The inline context: standard CASE/UCO prefixes, nothing fetched from the network. */
export function caseUcoContext(origin: string): Record<string, string> {
  return {
    kb: knowledgeBase(origin),
    'case-investigation': CASE_INVESTIGATION,
    'uco-action': `${UCO}action/`,
    'uco-core': `${UCO}core/`,
    'uco-identity': `${UCO}identity/`,
    'uco-location': `${UCO}location/`,
    'uco-observable': `${UCO}observable/`,
    'uco-role': `${UCO}role/`,
    'uco-tool': `${UCO}tool/`,
    'uco-types': `${UCO}types/`,
    'uco-vocabulary': `${UCO}vocabulary/`,
    xsd: 'http://www.w3.org/2001/XMLSchema#',
    custos: CUSTOS_VOCABULARY,
  };
}

export interface CaseUcoCase {
  readonly id: string;
  readonly caseNumber: string;
  readonly title: string;
  readonly status: 'open' | 'closed';
  /** Code of the owning agency. */
  readonly agency: string;
  /** Warrant and other legal authority references of the case. */
  readonly legalAuthority: readonly string[];
  /** ISO 8601 UTC. */
  readonly createdAt: string;
}

/** A ledger entry with the items of the case it is indexed under (a transfer entry has several). */
export interface CaseUcoEntry extends CustodyEntry {
  readonly itemIds: readonly string[];
}

export interface CaseUcoInput {
  /** The ledger's origin (checkpoint origin line), the base of node IRIs. */
  readonly origin: string;
  readonly kase: CaseUcoCase;
  /** Agency names by code, for the Organization nodes (the code stands in for an unknown name). */
  readonly agencies: ReadonlyMap<string, string>;
  /** The case's items as they read now (corrected values). */
  readonly items: readonly ItemView[];
  /** Every custody entry of the case's items, any order (sorted by ledger index here). */
  readonly entries: readonly CaseUcoEntry[];
}

export interface JsonLdNode {
  readonly '@id': string;
  readonly '@type': string;
  readonly [property: string]: unknown;
}

export interface CaseUcoDocument {
  readonly '@context': Record<string, string>;
  readonly '@graph': JsonLdNode[];
}

type Ref = { '@id': string };
const ref = (id: string): Ref => ({ '@id': id });
const refs = (ids: readonly string[]): Ref[] => ids.map(ref);
const dateTime = (value: string) => ({ '@type': 'xsd:dateTime', '@value': value });
const hexBinary = (value: string) => ({ '@type': 'xsd:hexBinary', '@value': value });

/** A stable id fragment for things known only by their text (a warrant number, a storage location). */
function digest(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

function slug(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** uco-vocabulary:HashNameVocab members for our algorithms. */
const HASH_NAMES: Readonly<Record<string, string>> = { md5: 'MD5', sha1: 'SHA1', sha256: 'SHA256', sha512: 'SHA512' };

/** The UCO class of an item of each kind; docs/exports.md lists them. */
export function observableClass(kind: ItemKind): string {
  switch (kind) {
    case 'mobile_phone':
    case 'tablet':
      return 'uco-observable:MobileDevice';
    case 'sim_card':
      return 'uco-observable:SIMCard';
    case 'forensic_image':
      return 'uco-observable:Image';
    case 'extraction':
      return 'uco-observable:ObservableObject';
    default:
      return 'uco-observable:Device';
  }
}

/** uco-core:name of the action each ledger event becomes. */
function actionName(entry: LedgerEntry): string {
  switch (entry.type) {
    case T.seized:
      return 'seized';
    case T.derived:
      return 'acquired';
    case T.hashRecorded:
      return (entry.data as unknown as HashRecordedData).role === 'reference' ? 'hashed' : 'verified';
    case T.moved:
      return 'moved';
    case T.disposed:
      return 'disposed';
    case T.corrected:
      return 'corrected';
    case T.released:
      return 'released';
    case T.accepted:
      return 'received';
    case T.rejected:
      return 'rejected';
    case T.cancelled:
      return 'cancelled';
    default:
      return entry.type;
  }
}

/** What custody looks like after a step, for the provenance record's description. */
interface CustodyState {
  custodian: PartyRef | null;
  location: string | null;
  state: 'in custody' | 'transfer pending' | 'disposed';
  pendingTo: PartyRef | null;
}

/** Nodes by id, in the order first added; adding an id again keeps the first node. */
class Graph {
  private readonly nodes = new Map<string, JsonLdNode>();

  add(node: JsonLdNode): string {
    if (!this.nodes.has(node['@id'])) this.nodes.set(node['@id'], node);
    return node['@id'];
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  all(): JsonLdNode[] {
    return [...this.nodes.values()];
  }
}

/** Builds the document; one instance per export. */
class CaseUcoMapper {
  private readonly graph = new Graph();
  private readonly items: Map<string, ItemView>;
  /** The latest provenance record of each item: the object of its next action. */
  private readonly latestRecord = new Map<string, string>();
  private readonly custody = new Map<string, CustodyState>();
  private readonly caseAuthorizations: string[];

  constructor(private readonly input: CaseUcoInput) {
    this.items = new Map(input.items.map((item) => [item.id, item]));
    this.caseAuthorizations = input.kase.legalAuthority.map((reference) => this.authorization(reference, 'warrant'));
  }

  build(): CaseUcoDocument {
    const { kase } = this.input;
    this.organization(kase.agency);
    for (const item of [...this.input.items].sort((a, b) => a.itemNumber.localeCompare(b.itemNumber)))
      this.device(item);
    const entries = [...this.input.entries].sort((a, b) => a.entry.index - b.entry.index);
    for (const entry of entries) this.action(entry);
    const investigationId = `kb:investigation-${kase.id}`;
    const members = this.graph.all().map((node) => node['@id']);
    const authorizations = members.filter((id) => id.startsWith('kb:authorization-'));
    const investigation: JsonLdNode = {
      '@id': investigationId,
      '@type': 'case-investigation:Investigation',
      'uco-core:name': kase.caseNumber,
      'uco-core:description': kase.title,
      'case-investigation:focus': kase.title,
      'case-investigation:investigationForm': 'case',
      'case-investigation:investigationStatus': kase.status,
      'uco-core:objectCreatedTime': dateTime(kase.createdAt),
      ...(authorizations.length === 0 ? {} : { 'case-investigation:relevantAuthorization': refs(authorizations) }),
      'uco-core:object': refs(members),
      'custos:ledgerOrigin': this.input.origin,
    };
    return { '@context': caseUcoContext(this.input.origin), '@graph': [investigation, ...this.graph.all()] };
  }

  private organization(code: string): string {
    const name = this.input.agencies.get(code);
    return this.graph.add({
      '@id': `kb:organization-${slug(code)}`,
      '@type': 'uco-identity:Organization',
      'uco-core:name': name ?? code,
      'uco-core:description': `Agency ${code}`,
    });
  }

  /** A custodian, signer or witness: the name only (docs/design.md §4), and the agency they acted for. */
  private person(party: { id: string; displayName: string; agency: string | null }): string {
    const id = this.graph.add({
      '@id': `kb:person-${party.id}`,
      '@type': 'uco-identity:Person',
      'uco-core:name': party.displayName,
    });
    if (party.agency !== null) {
      const organization = this.organization(party.agency);
      this.graph.add({
        '@id': `kb:affiliation-${party.id}-${slug(party.agency)}`,
        '@type': 'uco-core:Relationship',
        'uco-core:source': ref(id),
        'uco-core:target': ref(organization),
        'uco-core:kindOfRelationship': 'Member_Of',
        'uco-core:isDirectional': true,
      });
    }
    return id;
  }

  private authorization(reference: string, type: string): string {
    return this.graph.add({
      '@id': `kb:authorization-${digest(this.input.kase.id, reference)}`,
      '@type': 'case-investigation:Authorization',
      'uco-core:name': reference,
      'case-investigation:authorizationIdentifier': reference,
      'case-investigation:authorizationType': type,
    });
  }

  private location(text: string): string {
    return this.graph.add({
      '@id': `kb:location-${digest(text)}`,
      '@type': 'uco-location:Location',
      'uco-core:name': text,
    });
  }

  private tool(name: string, version: string | null): string {
    return this.graph.add({
      '@id': `kb:tool-${digest(name, version ?? '')}`,
      '@type': 'uco-tool:Tool',
      'uco-core:name': name,
      ...(version === null ? {} : { 'uco-tool:version': version }),
    });
  }

  private deviceId(itemId: string): string {
    return `kb:item-${itemId}`;
  }

  /** The item as seen now (corrected values), with one facet per kind of identifier it has. */
  private device(item: ItemView): void {
    const id = this.deviceId(item.id);
    const facets: JsonLdNode[] = [];
    const derived = DERIVED_KINDS.includes(item.kind);
    if (!derived || item.make !== null || item.model !== null || item.serial !== null) {
      const manufacturer =
        item.make === null
          ? undefined
          : this.graph.add({
              '@id': `kb:manufacturer-${digest(item.make)}`,
              '@type': 'uco-identity:Organization',
              'uco-core:name': item.make,
            });
      facets.push({
        '@id': `${id}-device-facet`,
        '@type': 'uco-observable:DeviceFacet',
        'uco-observable:deviceType': item.kind.replace(/_/g, ' '),
        ...(manufacturer === undefined ? {} : { 'uco-observable:manufacturer': ref(manufacturer) }),
        ...(item.model === null ? {} : { 'uco-observable:model': item.model }),
        ...(item.serial === null ? {} : { 'uco-observable:serialNumber': item.serial }),
      });
    }
    if (item.imeis.length > 0) {
      facets.push({
        '@id': `${id}-mobile-device-facet`,
        '@type': 'uco-observable:MobileDeviceFacet',
        'uco-observable:IMEI': [...item.imeis],
      });
    }
    if (item.iccid !== null) {
      facets.push({
        '@id': `${id}-sim-card-facet`,
        '@type': 'uco-observable:SIMCardFacet',
        'uco-observable:ICCID': item.iccid,
      });
    }
    item.macAddresses.forEach((mac, n) => {
      facets.push({
        '@id': `${id}-mac-address-facet-${n + 1}`,
        '@type': 'uco-observable:MACAddressFacet',
        'uco-observable:addressValue': mac,
      });
    });
    if (item.capacityBytes !== null) {
      facets.push({
        '@id': `${id}-storage-medium-facet`,
        '@type': 'uco-observable:StorageMediumFacet',
        'uco-observable:totalStorageCapacityInBytes': { '@type': 'xsd:integer', '@value': item.capacityBytes },
      });
    }
    const parent = item.parent === null ? undefined : this.items.get(item.parent.id);
    this.graph.add({
      '@id': id,
      '@type': observableClass(item.kind),
      'uco-core:name': item.itemNumber,
      'uco-core:description': item.description,
      ...(facets.length === 0 ? {} : { 'uco-core:hasFacet': facets }),
      ...(parent !== undefined && derived
        ? { 'case-investigation:wasDerivedFrom': ref(this.deviceId(parent.id)) }
        : {}),
      ...(item.sealNumber === null ? {} : { 'custos:sealNumber': item.sealNumber }),
      ...(item.powerState === null ? {} : { 'custos:powerStateAtSeizure': item.powerState }),
      ...(item.condition === null ? {} : { 'custos:condition': item.condition }),
    });
    if (parent !== undefined && !derived) {
      // A SIM card seized in a phone: where it was found, not what it was made from.
      this.graph.add({
        '@id': `kb:relationship-${item.id}-contained-within-${parent.id}`,
        '@type': 'uco-observable:ObservableRelationship',
        'uco-core:source': ref(id),
        'uco-core:target': ref(this.deviceId(parent.id)),
        'uco-core:kindOfRelationship': {
          '@type': 'uco-vocabulary:ObservableObjectRelationshipVocab',
          '@value': 'Contained_Within',
        },
        'uco-core:isDirectional': true,
      });
    }
  }

  /** The exhibit number of the item a derived item was ultimately made from. */
  private rootExhibitNumber(item: ItemView): string | undefined {
    if (!DERIVED_KINDS.includes(item.kind)) return undefined;
    let root = item;
    const seen = new Set<string>();
    while (DERIVED_KINDS.includes(root.kind) && root.parent !== null && !seen.has(root.id)) {
      seen.add(root.id);
      const parent = this.items.get(root.parent.id);
      if (parent === undefined) return root.parent.itemNumber;
      root = parent;
    }
    return root.itemNumber;
  }

  /** Hashes of one event of one item, as ContentData per target: what the hashed content was then. */
  private contentData(item: ItemView, index: number, hashes: readonly CustodyRowHash[]): string[] {
    const targets = [...new Set(hashes.map((hash) => hash.target))];
    return targets.map((target, n) => {
      const id = `kb:content-data-${item.id}-${index}-${n + 1}`;
      const values = hashes.filter((hash) => hash.target === target);
      const reference = values.every((hash) => hash.result === 'reference');
      const results = values.map((hash) => `${hash.algorithm} ${hash.result}`).join(', ');
      return this.graph.add({
        '@id': id,
        '@type': 'uco-observable:ContentData',
        'uco-core:name': `${item.itemNumber} ${target}`,
        'uco-core:description': reference
          ? `Reference hashes of ${target} of ${item.itemNumber} (ledger entry ${index})`
          : `Verification hashes of ${target} of ${item.itemNumber} (ledger entry ${index}): ${results}`,
        'uco-core:hasFacet': [
          {
            '@id': `${id}-facet`,
            '@type': 'uco-observable:ContentDataFacet',
            'uco-observable:hash': values.map((hash) => ({
              '@id': `${id}-${hash.algorithm}`,
              '@type': 'uco-types:Hash',
              'uco-types:hashMethod': {
                '@type': 'uco-vocabulary:HashNameVocab',
                '@value': HASH_NAMES[hash.algorithm] ?? hash.algorithm.toUpperCase(),
              },
              'uco-types:hashValue': hexBinary(hash.value),
              ...(hash.result === 'reference' ? {} : { 'custos:verificationResult': hash.result }),
            })),
          },
        ],
      });
    });
  }

  private stateText(state: CustodyState): string {
    if (state.state === 'disposed') return 'disposed of';
    const where = state.location === null ? '' : ` at ${state.location}`;
    const pending =
      state.state === 'transfer pending' ? `, released to ${partyText(state.pendingTo)} (transfer pending)` : '';
    return `in custody of ${partyText(state.custodian)}${where}${pending}`;
  }

  /** Custody of the item after this entry. */
  private advance(itemId: string, entry: LedgerEntry): CustodyState {
    const before = this.custody.get(itemId) ?? {
      custodian: null,
      location: null,
      state: 'in custody' as const,
      pendingTo: null,
    };
    let after: CustodyState = before;
    switch (entry.type) {
      case T.seized:
      case T.derived: {
        const data = entry.data as unknown as ItemSeizedData;
        after = { custodian: data.custodian, location: data.location, state: 'in custody', pendingTo: null };
        break;
      }
      case T.moved:
        after = { ...before, location: (entry.data as unknown as ItemMovedData).to };
        break;
      case T.released:
        after = { ...before, state: 'transfer pending', pendingTo: (entry.data as unknown as TransferReleasedData).to };
        break;
      case T.accepted: {
        const data = entry.data as unknown as TransferAcceptedData;
        after = {
          custodian: data.to,
          location: data.location ?? before.location,
          state: 'in custody',
          pendingTo: null,
        };
        break;
      }
      case T.rejected:
      case T.cancelled:
        after = { ...before, state: 'in custody', pendingTo: null };
        break;
      case T.disposed:
        after = { ...before, state: 'disposed', pendingTo: null };
        break;
      default:
        break;
    }
    this.custody.set(itemId, after);
    return after;
  }

  private summary(entry: LedgerEntry, numbers: readonly string[]): string {
    const by = entry.actor === null ? 'the system' : partyText({ ...entry.actor });
    const list = numbers.join(', ');
    switch (entry.type) {
      case T.seized: {
        const data = entry.data as unknown as ItemSeizedData;
        return `${list} seized by ${by} at ${data.item.place}${data.item.seizedFrom === null ? '' : ` (seized from: ${data.item.seizedFrom})`}`;
      }
      case T.derived: {
        const data = entry.data as unknown as ItemDerivedData;
        return `${list} made from ${data.item.parent?.number ?? 'its parent'} by ${by} with ${data.acquisition.tool} ${data.acquisition.toolVersion}`;
      }
      case T.hashRecorded: {
        const data = entry.data as unknown as HashRecordedData;
        return data.role === 'reference'
          ? `Reference hashes of ${data.target} of ${list} recorded by ${by}${data.weak === true ? ' (weak: no SHA-256 or stronger)' : ''}`
          : `${data.target} of ${list} re-verified by ${by}: ${data.values.map((value) => `${value.algorithm} ${'result' in value ? value.result : 'not compared'}`).join(', ')}`;
      }
      case T.moved: {
        const data = entry.data as unknown as ItemMovedData;
        return `${list} moved by ${by} from ${data.from ?? 'an unrecorded location'} to ${data.to}${data.reason === null ? '' : ` (${data.reason})`}`;
      }
      case T.disposed: {
        const data = entry.data as unknown as ItemDisposedData;
        return `${list} disposed of (${data.disposition.replace(/_/g, ' ')}) by ${partyText(data.custodian)} under ${data.authorityReference}, witnessed by ${partyText(data.witness)}${data.recipient === null ? '' : `; recipient ${data.recipient}`}${data.notes === null ? '' : `; ${data.notes}`}`;
      }
      case T.corrected:
        return `Correction of ledger entry ${entry.corrects?.index ?? '?'} of ${list} by ${by}: ${entry.corrects?.reason ?? ''}`;
      case T.released: {
        const data = entry.data as unknown as TransferReleasedData;
        return `${list} released by ${partyText(data.from)} to ${partyText(data.to)}: ${data.purpose}`;
      }
      case T.accepted: {
        const data = entry.data as unknown as TransferAcceptedData;
        const seals = data.items
          .filter((accepted) => numbers.includes(accepted.number))
          .map(
            (accepted) =>
              `${accepted.number} seal ${accepted.sealIntact ? 'intact' : `BROKEN${accepted.sealNote === null ? '' : ` (${accepted.sealNote})`}`}`,
          );
        return `${list} received by ${partyText(data.to)} from ${partyText(data.from)}${data.location === null ? '' : ` at ${data.location}`}; ${seals.join('; ')}`;
      }
      case T.rejected:
      case T.cancelled: {
        const data = entry.data as unknown as TransferClosedData;
        const verb =
          entry.type === T.rejected
            ? `rejected by ${partyText(data.to)}`
            : `transfer to ${partyText(data.to)} cancelled by ${partyText(data.from)}`;
        return `${list} ${verb}${data.reason === null ? '' : `: ${data.reason}`}`;
      }
      default:
        return `${entry.type} of ${list}`;
    }
  }

  /** Who else took part: the other party of a transfer, the witness of a disposal. */
  private participants(entry: LedgerEntry): PartyRef[] {
    switch (entry.type) {
      case T.released:
      case T.cancelled:
        return [(entry.data as unknown as TransferReleasedData).to];
      case T.accepted:
      case T.rejected:
        return [(entry.data as unknown as TransferAcceptedData).from];
      case T.disposed:
        return [(entry.data as unknown as ItemDisposedData).witness];
      default:
        return [];
    }
  }

  private occurredAt(entry: LedgerEntry): string | null {
    switch (entry.type) {
      case T.seized:
      case T.derived:
        return (entry.data as unknown as ItemSeizedData).item.occurredAt;
      case T.hashRecorded:
        return (entry.data as unknown as HashRecordedData).occurredAt;
      case T.disposed:
        return (entry.data as unknown as ItemDisposedData).occurredAt;
      default:
        return null;
    }
  }

  private actionLocation(entry: LedgerEntry): string | null {
    switch (entry.type) {
      case T.seized:
      case T.derived:
        return (entry.data as unknown as ItemSeizedData).item.place;
      case T.moved:
        return (entry.data as unknown as ItemMovedData).to;
      case T.accepted:
        return (entry.data as unknown as TransferAcceptedData).location;
      default:
        return null;
    }
  }

  private instruments(entry: LedgerEntry): string[] {
    switch (entry.type) {
      case T.seized: {
        const authority = (entry.data as unknown as ItemSeizedData).item.legalAuthority;
        // An item seized without its own reference was seized under the case's warrants.
        return authority === null ? this.caseAuthorizations : [this.authorization(authority, 'warrant')];
      }
      case T.derived: {
        const data = entry.data as unknown as ItemDerivedData;
        const authority =
          data.item.legalAuthority === null ? [] : [this.authorization(data.item.legalAuthority, 'warrant')];
        return [this.tool(data.acquisition.tool, data.acquisition.toolVersion), ...authority];
      }
      case T.hashRecorded: {
        const tool = (entry.data as unknown as HashRecordedData).tool;
        return tool === null ? [] : [this.tool(tool.name, tool.version)];
      }
      case T.disposed:
        return [
          this.authorization((entry.data as unknown as ItemDisposedData).authorityReference, 'disposition authority'),
        ];
      default:
        return [];
    }
  }

  /** One ledger entry: an InvestigativeAction and, per item, the next provenance record of its chain. */
  private action(source: CaseUcoEntry): void {
    const { entry, leafHash } = source;
    const items = source.itemIds
      .map((id) => this.items.get(id))
      .filter((item): item is ItemView => item !== undefined)
      .sort((a, b) => a.itemNumber.localeCompare(b.itemNumber));
    if (items.length === 0) return;
    const actionId = `kb:action-${entry.index}`;
    const objects: string[] = [];
    const results: string[] = [];
    for (const item of items) {
      const device = this.deviceId(item.id);
      const previous = this.latestRecord.get(item.id);
      if (entry.type === T.derived && item.parent !== null && this.items.has(item.parent.id)) {
        // The acquisition acts on the parent exhibit as it then stood.
        const parentRecord = this.latestRecord.get(item.parent.id);
        if (parentRecord !== undefined) objects.push(parentRecord);
        objects.push(this.deviceId(item.parent.id));
      }
      if (previous !== undefined) objects.push(previous, device);
      const row = custodyRow({ id: item.id, number: item.itemNumber, description: item.description }, entry, leafHash);
      const contentData = this.contentData(item, entry.index, row.hashes);
      const state = this.advance(item.id, entry);
      const root = this.rootExhibitNumber(item);
      const record = this.graph.add({
        '@id': `kb:provenance-record-${item.id}-${entry.index}`,
        '@type': 'case-investigation:ProvenanceRecord',
        'case-investigation:exhibitNumber': item.itemNumber,
        ...(root === undefined ? {} : { 'case-investigation:rootExhibitNumber': root }),
        'uco-core:description': `${item.itemNumber} after ledger entry ${entry.index} (${entry.type}): ${this.stateText(state)}`,
        'uco-core:object': refs([device, ...contentData]),
        'custos:ledgerIndex': entry.index,
      });
      this.latestRecord.set(item.id, record);
      results.push(record);
      if (previous === undefined) results.push(device);
      results.push(...contentData);
    }
    const performer = entry.actor === null ? undefined : this.person(actorParty(entry.actor));
    const participants = this.participants(entry).map((party) => this.person(party));
    const location = this.actionLocation(entry);
    const instruments = this.instruments(entry);
    const signatures = entry.signatures.map(signatureText);
    const description = [
      this.summary(
        entry,
        items.map((item) => item.itemNumber),
      ),
      ...(signatures.length === 0 ? [] : [`Signed: ${signatures.join('; ')}`]),
      `Ledger entry ${entry.index}, leaf hash ${leafHash}`,
    ].join('. ');
    this.graph.add({
      '@id': actionId,
      '@type': 'case-investigation:InvestigativeAction',
      'uco-core:name': actionName(entry),
      'uco-core:description': description,
      'uco-action:startTime': dateTime(this.occurredAt(entry) ?? entry.recordedAt),
      ...(performer === undefined ? {} : { 'uco-action:performer': ref(performer) }),
      ...(participants.length === 0 ? {} : { 'uco-action:participant': refs(participants) }),
      ...(location === null ? {} : { 'uco-action:location': ref(this.location(location)) }),
      ...(instruments.length === 0 ? {} : { 'uco-action:instrument': refs(instruments) }),
      ...(objects.length === 0 ? {} : { 'uco-action:object': refs(objects) }),
      'uco-action:result': refs(results),
      'custos:eventType': entry.type,
      'custos:ledgerIndex': entry.index,
      'custos:leafHash': hexBinary(leafHash),
      'custos:recordedAt': dateTime(entry.recordedAt),
      ...(entry.subject.type === 'transfer' ? { 'custos:transferId': entry.subject.id } : {}),
      ...(entry.corrects === undefined ? {} : { 'custos:correctsLedgerIndex': entry.corrects.index }),
    });
  }
}

function actorParty(actor: EntryActor): { id: string; displayName: string; agency: string | null } {
  return { id: actor.id, displayName: actor.displayName, agency: actor.agency };
}

/** The case's custody as a CASE/UCO JSON-LD document. */
export function caseUcoExport(input: CaseUcoInput): CaseUcoDocument {
  return new CaseUcoMapper(input).build();
}
