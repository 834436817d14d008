import type { Actor } from '../common/request-context.js';
import type { ItemView } from '../contracts/custody.js';
import type { UserRow } from '../identity/users/user-records.js';
import type { Disposition, Integrity, ItemKind, ItemState, PartyRef, PowerState } from './custody-events.js';
import { LATEST_ENTRY_COLUMNS, LATEST_ENTRY_JOIN } from './custody-state-check.js';

/**
 * An instant as the people there saw it: RFC 3339 in the given UTC offset (minutes east), seconds
 * always, milliseconds when there are any. Both the ledger entry and every view use this form.
 */
export function formatOffsetDateTime(instant: Date, offsetMinutes: number): string {
  const local = new Date(instant.getTime() + offsetMinutes * 60_000).toISOString();
  const ms = local.slice(19, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset =
    abs === 0 ? 'Z' : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local.slice(0, 19)}${ms === '.000' ? '' : ms}${offset}`;
}

/** An item as the API shows it (declared once, with its schema, in src/contracts). */
export type { ItemView };

export interface ItemRow {
  id: string;
  case_id: string;
  case_number: string;
  case_agency_id: string;
  case_agency_code: string;
  item_number: string;
  kind: ItemKind;
  description: string;
  make: string | null;
  model: string | null;
  serial: string | null;
  imeis: string[];
  iccid: string | null;
  mac_addresses: string[];
  capacity_bytes: string | null;
  condition: string | null;
  power_state: PowerState | null;
  seal_number: string | null;
  occurred_at: Date;
  occurred_offset: number;
  place: string;
  seized_from: string | null;
  legal_authority: string | null;
  parent_id: string | null;
  parent_number: string | null;
  acquisition_tool: string | null;
  acquisition_tool_version: string | null;
  acquisition_method: string | null;
  registered_at: Date;
  registered_by_username: string;
  custodian_id: string;
  custodian_username: string;
  custodian_name: string;
  custodian_agency: string | null;
  location: string | null;
  state: ItemState;
  integrity: Integrity;
  disposition: Disposition | null;
  disposed_at: Date | null;
  last_event_idx: string;
  pending_transfer_id: string | null;
}

const ITEM_COLUMNS = `i.id, i.case_id, c.case_number, c.agency_id AS case_agency_id, ca.code AS case_agency_code, i.item_number, i.kind,
         i.description, i.make, i.model, i.serial, i.imeis, i.iccid, i.mac_addresses, i.capacity_bytes::text AS capacity_bytes,
         i.condition, i.power_state, i.seal_number, i.occurred_at, i.occurred_offset, i.place, i.seized_from, i.legal_authority,
         i.parent_id, p.item_number AS parent_number, i.acquisition_tool, i.acquisition_tool_version, i.acquisition_method,
         i.registered_at, ru.username AS registered_by_username, i.custodian_id, cu.username AS custodian_username,
         cu.display_name AS custodian_name, cua.code AS custodian_agency, i.location, i.state, i.integrity, i.disposition,
         i.disposed_at, i.last_event_idx,
         (SELECT ti.transfer_id FROM transfer_item ti WHERE ti.item_id = i.id AND ti.pending) AS pending_transfer_id`;
const ITEM_FROM = `item i
    JOIN case_file c ON c.id = i.case_id
    JOIN agency ca ON ca.id = c.agency_id
    JOIN user_account ru ON ru.id = i.registered_by
    JOIN user_account cu ON cu.id = i.custodian_id
    LEFT JOIN agency cua ON cua.id = cu.agency_id
    LEFT JOIN item p ON p.id = i.parent_id`;

export const ITEM_SELECT = `
  SELECT ${ITEM_COLUMNS}
    FROM ${ITEM_FROM}`;

/**
 * An item with its latest ledger entry per its history index (bytes and leaf hash): what a custody
 * write checks the row against before acting on it (custody-state-check.ts). One index probe and one
 * entry more than ITEM_SELECT, in the same round trip.
 */
export const ITEM_SELECT_CHECKED = `
  SELECT ${ITEM_COLUMNS},
         ${LATEST_ENTRY_COLUMNS}
    FROM ${ITEM_FROM}
    ${LATEST_ENTRY_JOIN}`;

export function itemView(row: ItemRow): ItemView {
  return {
    id: row.id,
    itemNumber: row.item_number,
    case: { id: row.case_id, caseNumber: row.case_number, agency: row.case_agency_code },
    kind: row.kind,
    description: row.description,
    make: row.make,
    model: row.model,
    serial: row.serial,
    imeis: row.imeis,
    iccid: row.iccid,
    macAddresses: row.mac_addresses,
    capacityBytes: row.capacity_bytes,
    condition: row.condition,
    powerState: row.power_state,
    sealNumber: row.seal_number,
    occurredAt: formatOffsetDateTime(row.occurred_at, row.occurred_offset),
    place: row.place,
    seizedFrom: row.seized_from,
    legalAuthority: row.legal_authority,
    parent: row.parent_id === null ? null : { id: row.parent_id, itemNumber: row.parent_number! },
    acquisition:
      row.acquisition_tool === null
        ? null
        : { tool: row.acquisition_tool, toolVersion: row.acquisition_tool_version, method: row.acquisition_method },
    custodian: {
      id: row.custodian_id,
      username: row.custodian_username,
      displayName: row.custodian_name,
      agency: row.custodian_agency,
    },
    location: row.location,
    state: row.state,
    integrity: row.integrity,
    pendingTransferId: row.pending_transfer_id,
    disposition: row.disposition === null ? null : { kind: row.disposition, at: row.disposed_at!.toISOString() },
    registeredAt: row.registered_at.toISOString(),
    registeredBy: row.registered_by_username,
    lastLedgerIndex: Number(row.last_event_idx),
  };
}

/** A person as custody records name them (docs/design.md §4: nothing beyond custodians' names). */
export function partyOf(user: Pick<UserRow, 'id' | 'username' | 'display_name' | 'agency_code'>): PartyRef {
  return { id: user.id, username: user.username, displayName: user.display_name, agency: user.agency_code };
}

export function actorParty(actor: Actor): PartyRef {
  return { id: actor.id, username: actor.username, displayName: actor.displayName, agency: actor.agencyCode };
}
