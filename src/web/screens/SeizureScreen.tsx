import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';

import { api, ApiProblem, fieldMessages } from '../api';
import { AppLink } from '../App';
import {
  checkIccid,
  checkImeis,
  humanize,
  itemKindWords,
  localNow,
  localOffset,
  splitImeis,
  withLocalOffset,
} from '../evidence';
import { ITEM_KINDS, POWER_STATES, type CaseView, type ItemView, type Problem, type User } from '../types';
import { Field, Loading, Notice, ProblemBanner } from '../ui';

interface Device {
  key: number;
  kind: string;
  description: string;
  make: string;
  model: string;
  serial: string;
  imeis: string;
  iccid: string;
  sealNumber: string;
  powerState: string;
  condition: string;
}

let nextKey = 1;
const emptyDevice = (kind = 'mobile_phone'): Device => ({
  key: nextKey++,
  kind,
  description: '',
  make: '',
  model: '',
  serial: '',
  imeis: '',
  iccid: '',
  sealNumber: '',
  powerState: 'unknown',
  condition: '',
});

/**
 * Kinds that carry a cellular identifier. The server accepts IMEIs and an ICCID on any kind; the form
 * asks for them only where a device has them (a router or a tracker: "Other"). A value
 * typed before the kind changed stays shown, so that nothing hidden is sent.
 */
const IMEI_KINDS: readonly string[] = ['mobile_phone', 'tablet', 'other'];
const ICCID_KINDS: readonly string[] = ['mobile_phone', 'tablet', 'sim_card', 'other'];

/** Fields shared by every device of one search: copied into each item of the request. */
const SHARED = ['occurredAt', 'place', 'legalAuthority', 'seizedFrom', 'location'] as const;

/**
 * One search, several devices, one form, all or nothing (POST /cases/:id/items). Built for a
 * laptop in a hallway: keyboard only (Tab through, Alt+N adds a device), the time defaults to
 * now with this computer's offset, IMEIs and ICCIDs are checked as they are typed.
 */
export function SeizureScreen({ user, caseId }: { user: User; caseId: string }): ReactNode {
  const [kase, setCase] = useState<CaseView | null>(null);
  const [occurredAt, setOccurredAt] = useState(localNow());
  const [place, setPlace] = useState('');
  const [legalAuthority, setLegalAuthority] = useState('');
  const [seizedFrom, setSeizedFrom] = useState('');
  const [location, setLocation] = useState('');
  const [devices, setDevices] = useState<Device[]>([emptyDevice()]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saved, setSaved] = useState<ItemView[] | null>(null);
  const [busy, setBusy] = useState(false);
  const focusKey = useRef<number | null>(null);

  useEffect(() => {
    void api.get<CaseView>(`/cases/${caseId}`).then((loaded) => {
      setCase(loaded);
      if (loaded.legalAuthority.length > 0) setLegalAuthority((current) => current || loaded.legalAuthority[0]);
    });
  }, [caseId]);

  useEffect(() => {
    if (focusKey.current !== null) {
      document.getElementById(`device-${focusKey.current}-legend`)?.parentElement?.querySelector('select')?.focus();
      focusKey.current = null;
    }
  }, [devices]);

  const update = (key: number, change: Partial<Device>): void =>
    setDevices((all) => all.map((device) => (device.key === key ? { ...device, ...change } : device)));
  const add = (): void => {
    const device = emptyDevice(devices[devices.length - 1]?.kind);
    focusKey.current = device.key;
    setDevices((all) => [...all, device]);
  };
  const remove = (key: number): void =>
    setDevices((all) => (all.length === 1 ? all : all.filter((device) => device.key !== key)));

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    setBusy(true);
    const shared = {
      occurredAt: withLocalOffset(occurredAt),
      place: place.trim(),
      ...(legalAuthority.trim() ? { legalAuthority: legalAuthority.trim() } : {}),
      ...(seizedFrom.trim() ? { seizedFrom: seizedFrom.trim() } : {}),
      ...(location.trim() ? { location: location.trim() } : {}),
    };
    const items = devices.map((device) => {
      const optional = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim());
      const imeis = splitImeis(device.imeis);
      return {
        kind: device.kind,
        description: device.description.trim(),
        make: optional(device.make),
        model: optional(device.model),
        serial: optional(device.serial),
        imeis: imeis.length > 0 ? imeis : undefined,
        iccid: optional(device.iccid),
        sealNumber: optional(device.sealNumber),
        powerState: device.powerState,
        condition: optional(device.condition),
        ...shared,
      };
    });
    try {
      const result = await api.post<{ items: ItemView[] }>(`/cases/${caseId}/items`, { items });
      setSaved(result.items);
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
    } finally {
      setBusy(false);
    }
  };

  if (kase === null) return <Loading />;
  if (saved !== null)
    return <Saved kase={kase} items={saved} onMore={() => (setSaved(null), setDevices([emptyDevice()]))} />;

  /** A shared field's messages: the API reports them per item (`items[2].place`). */
  const sharedMessages = (name: string): string[] => [
    ...new Set(devices.flatMap((_device, n) => fieldMessages(problem, `items[${n}].${name}`))),
  ];
  const fields = [
    ...SHARED.flatMap((name) => devices.map((_d, n) => `items[${n}].${name}`)),
    ...devices.map((_d, n) => `items[${n}]`),
    'items',
  ];

  return (
    <section>
      <p className="crumbs">
        <AppLink to="/cases">Cases</AppLink> › <AppLink to={`/cases/${kase.id}`}>{kase.caseNumber}</AppLink> ›
      </p>
      <h1 id="seizure-title">Register a seizure</h1>
      <p className="subtitle">
        Case {kase.caseNumber} — {kase.title}. You ({user.displayName}) become the first custodian of every item.
      </p>
      <form
        onSubmit={(event) => void submit(event)}
        onKeyDown={(event) => {
          if (event.altKey && (event.code === 'KeyN' || event.key.toLowerCase() === 'n')) {
            event.preventDefault();
            add();
          }
        }}
        aria-labelledby="seizure-title"
      >
        <ProblemBanner problem={problem} fields={fields} />
        <fieldset className="card">
          <legend id="seizure-where">Where and when (same for every device)</legend>
          <div className="grid">
            <Field
              label="Seized at"
              messages={sharedMessages('occurredAt')}
              hint={`Your local time (UTC${localOffset(occurredAt)}); defaults to now`}
            >
              {(attributes) => (
                <input
                  {...attributes}
                  type="datetime-local"
                  required
                  value={occurredAt}
                  onChange={(event) => setOccurredAt(event.target.value)}
                />
              )}
            </Field>
            <Field label="Place" messages={sharedMessages('place')} hint="Address and room">
              {(attributes) => (
                <input
                  {...attributes}
                  required
                  autoFocus
                  value={place}
                  onChange={(event) => setPlace(event.target.value)}
                />
              )}
            </Field>
            <Field label="Legal authority" messages={sharedMessages('legalAuthority')} hint="Warrant or order">
              {(attributes) => (
                <input
                  {...attributes}
                  value={legalAuthority}
                  onChange={(event) => setLegalAuthority(event.target.value)}
                />
              )}
            </Field>
            <Field
              label="Seized from (reference, never a name)"
              messages={sharedMessages('seizedFrom')}
              hint="e.g. Exhibit schedule line 7"
            >
              {(attributes) => (
                <input {...attributes} value={seizedFrom} onChange={(event) => setSeizedFrom(event.target.value)} />
              )}
            </Field>
            <Field label="Kept at" messages={sharedMessages('location')} hint="e.g. Vehicle 3, evidence locker">
              {(attributes) => (
                <input {...attributes} value={location} onChange={(event) => setLocation(event.target.value)} />
              )}
            </Field>
          </div>
        </fieldset>

        {devices.map((device, n) => (
          <DeviceFields
            key={device.key}
            n={n}
            device={device}
            problem={problem}
            onChange={(change) => update(device.key, change)}
            onRemove={devices.length > 1 ? () => remove(device.key) : undefined}
          />
        ))}

        <div className="actions">
          <button type="button" onClick={add} aria-keyshortcuts="Alt+N">
            + Add another device <kbd>Alt+N</kbd>
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Register {devices.length} item{devices.length === 1 ? '' : 's'}
          </button>
        </div>
      </form>
    </section>
  );
}

function DeviceFields({
  n,
  device,
  problem,
  onChange,
  onRemove,
}: {
  n: number;
  device: Device;
  problem: Problem | null;
  onChange: (change: Partial<Device>) => void;
  onRemove?: () => void;
}): ReactNode {
  const path = `items[${n}]`;
  return (
    <fieldset className="card device" aria-labelledby={`device-${device.key}-legend`}>
      <legend id={`device-${device.key}-legend`}>Device {n + 1}</legend>
      <div className="grid">
        <Field label="Kind" name={`${path}.kind`} problem={problem}>
          {(attributes) => (
            <select {...attributes} value={device.kind} onChange={(event) => onChange({ kind: event.target.value })}>
              {ITEM_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {itemKindWords(kind)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Description" name={`${path}.description`} problem={problem} hint="Colour, marks, case" wide>
          {(attributes) => (
            <input
              {...attributes}
              required
              value={device.description}
              onChange={(event) => onChange({ description: event.target.value })}
            />
          )}
        </Field>
        <Field label="Make" name={`${path}.make`} problem={problem}>
          {(attributes) => (
            <input {...attributes} value={device.make} onChange={(event) => onChange({ make: event.target.value })} />
          )}
        </Field>
        <Field label="Model" name={`${path}.model`} problem={problem}>
          {(attributes) => (
            <input {...attributes} value={device.model} onChange={(event) => onChange({ model: event.target.value })} />
          )}
        </Field>
        <Field label="Serial number" name={`${path}.serial`} problem={problem}>
          {(attributes) => (
            <input
              {...attributes}
              value={device.serial}
              onChange={(event) => onChange({ serial: event.target.value })}
            />
          )}
        </Field>
        {(IMEI_KINDS.includes(device.kind) || device.imeis !== '') && (
          <Field
            label="IMEI(s)"
            name={`${path}.imeis`}
            problem={problem}
            check={checkImeis(device.imeis)}
            hint="15 digits; dual SIM: separate with a space (*#06# shows them)"
          >
            {(attributes) => (
              <input
                {...attributes}
                inputMode="numeric"
                autoComplete="off"
                value={device.imeis}
                onChange={(event) => onChange({ imeis: event.target.value })}
              />
            )}
          </Field>
        )}
        {(ICCID_KINDS.includes(device.kind) || device.iccid !== '') && (
          <Field
            label="ICCID (SIM)"
            name={`${path}.iccid`}
            problem={problem}
            check={checkIccid(device.iccid)}
            hint="19–20 digits starting 89"
          >
            {(attributes) => (
              <input
                {...attributes}
                inputMode="numeric"
                autoComplete="off"
                value={device.iccid}
                onChange={(event) => onChange({ iccid: event.target.value })}
              />
            )}
          </Field>
        )}
        <Field label="Seal (bag) number" name={`${path}.sealNumber`} problem={problem}>
          {(attributes) => (
            <input
              {...attributes}
              autoComplete="off"
              value={device.sealNumber}
              onChange={(event) => onChange({ sealNumber: event.target.value })}
            />
          )}
        </Field>
        <Field label="Power at seizure" name={`${path}.powerState`} problem={problem}>
          {(attributes) => (
            <select
              {...attributes}
              value={device.powerState}
              onChange={(event) => onChange({ powerState: event.target.value })}
            >
              {POWER_STATES.map((state) => (
                <option key={state} value={state}>
                  {humanize(state)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Condition" name={`${path}.condition`} problem={problem}>
          {(attributes) => (
            <input
              {...attributes}
              value={device.condition}
              onChange={(event) => onChange({ condition: event.target.value })}
            />
          )}
        </Field>
      </div>
      {onRemove && (
        <button type="button" className="quiet" onClick={onRemove}>
          Remove device {n + 1}
        </button>
      )}
    </fieldset>
  );
}

function Saved({ kase, items, onMore }: { kase: CaseView; items: ItemView[]; onMore: () => void }): ReactNode {
  const [error, setError] = useState<string | null>(null);
  const print = async (): Promise<void> => {
    try {
      await api.download(`/cases/${kase.id}/labels.pdf?items=${items.map((item) => item.id).join(',')}`, 'labels.pdf');
    } catch {
      setError('The labels could not be downloaded');
    }
  };
  return (
    <section>
      <h1>Seizure registered</h1>
      <Notice>
        {items.length} item{items.length === 1 ? '' : 's'} registered in case {kase.caseNumber}, in your custody. Write
        or stick the numbers on the bags.
      </Notice>
      {error && <div className="banner error">{error}</div>}
      <ul className="numbers">
        {items.map((item) => (
          <li key={item.id}>
            <AppLink to={`/items/${item.id}`}>
              <strong className="mono">{item.itemNumber}</strong>
            </AppLink>{' '}
            — {itemKindWords(item.kind)} {item.sealNumber ? `· seal ${item.sealNumber}` : ''}
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="primary" autoFocus onClick={() => void print()}>
          Print labels for these {items.length}
        </button>
        <button type="button" onClick={onMore}>
          Register more devices
        </button>
        <AppLink to={`/cases/${kase.id}`} className="button">
          Back to the case
        </AppLink>
      </div>
    </section>
  );
}
