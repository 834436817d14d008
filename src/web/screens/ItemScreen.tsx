import { lazy, Suspense, useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';

import { api, ApiProblem, plainWords } from '../api';
import { AppLink } from '../App';
import {
  checkHashValue,
  itemKindWords,
  localNow,
  localTime,
  localTimeHint,
  placeTime,
  withLocalOffset,
} from '../evidence';
import {
  HASH_ALGORITHMS,
  type CaseView,
  type HashRecord,
  type HistoryEvent,
  type ItemView,
  type Problem,
  type User,
} from '../types';
import {
  Field,
  FormActions,
  HashResult,
  IntegrityBadge,
  Loading,
  Notice,
  ProblemBanner,
  SignatureFields,
  StateBadge,
} from '../ui';
import { TransferPanel } from './TransferPanel';

// Few examiners import acquisition logs: that form (with its preview) loads on first use.
const ImportLogForm = lazy(() => import('./ImportLogForm').then((module) => ({ default: module.ImportLogForm })));

type Panel = 'hashes' | 'import' | 'move' | 'transfer' | 'dispose' | 'derive' | 'correct' | null;

export function ItemScreen({ user, itemId }: { user: User; itemId: string }): ReactNode {
  const [item, setItem] = useState<ItemView | null>(null);
  const [events, setEvents] = useState<HistoryEvent[]>([]);
  const [hashes, setHashes] = useState<HashRecord[]>([]);
  const [access, setAccess] = useState<CaseView['access'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>(null);

  const load = useCallback(async () => {
    try {
      const [history, hashList] = await Promise.all([
        api.get<{ item: ItemView; events: HistoryEvent[] }>(`/items/${itemId}/history`),
        api.get<{ hashes: HashRecord[] }>(`/items/${itemId}/hashes`),
      ]);
      setItem(history.item);
      setEvents(history.events);
      setHashes(hashList.hashes);
      // Labels are for those who bag evidence in a case they contribute to (as on the case screen).
      setAccess((await api.get<CaseView>(`/cases/${history.item.case.id}`)).access);
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load the item');
    }
  }, [itemId]);
  useEffect(() => {
    void load();
  }, [load]);

  const download = async (path: string, name: string): Promise<void> => {
    try {
      setNotice(`Downloaded ${await api.download(path, name)}`);
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'The download failed');
    }
  };
  const done = (message: string): void => {
    setPanel(null);
    setNotice(message);
    void load();
  };

  if (error && item === null) return <div className="banner error">{error}</div>;
  if (item === null) return <Loading />;
  const holder = item.custodian.id === user.id && item.state === 'in_custody';
  // Whoever holds the item verifies its hashes; its reference (the acquisition) is recorded by
  // examiners and officers (HashesService), as is importing an acquisition tool's log.
  const canHash = holder;
  const canImport = holder && (user.roles.includes('examiner') || user.roles.includes('officer'));
  const canDispose = holder && (user.roles.includes('clerk') || user.roles.includes('officer'));
  /** The API decides who may correct (custodian or a contributor of the case); the button shows for the roles it allows. */
  const canCorrect =
    ['officer', 'clerk', 'examiner'].some((role) => user.roles.includes(role as User['roles'][number])) &&
    events.some(correctable);
  const canLabel =
    access === 'contribute' &&
    ['officer', 'clerk', 'examiner'].some((role) => user.roles.includes(role as User['roles'][number]));
  const canDerive =
    holder && user.roles.includes('examiner') && item.kind !== 'forensic_image' && item.kind !== 'extraction';

  return (
    <section>
      <p className="crumbs">
        <AppLink to="/cases">Cases</AppLink> › <AppLink to={`/cases/${item.case.id}`}>{item.case.caseNumber}</AppLink> ›
      </p>
      <div className="page-head">
        <div>
          <h1>
            <span className="mono">{item.itemNumber}</span> <IntegrityBadge integrity={item.integrity} />{' '}
            <StateBadge state={item.state} />
          </h1>
          <p className="subtitle">
            {itemKindWords(item.kind)}
            {item.make || item.model ? ` — ${[item.make, item.model].filter(Boolean).join(' ')}` : ''} ·{' '}
            {item.description}
          </p>
        </div>
      </div>
      {item.integrity === 'compromised' && (
        <div className="banner error" role="alert">
          ⚠ This item’s integrity is <strong>compromised</strong>: a seal arrived broken or a hash did not match its
          reference. The timeline below shows where.
        </div>
      )}
      {notice && <Notice>{notice}</Notice>}
      {error && <div className="banner error">{error}</div>}

      <div className="columns">
        <dl className="facts card">
          <dt>Custodian</dt>
          <dd>
            {item.custodian.displayName} ({item.custodian.agency ?? '—'})
          </dd>
          <dt>Location</dt>
          <dd>{item.location ?? '—'}</dd>
          <dt>Seal number</dt>
          <dd className="mono">{item.sealNumber ?? '—'}</dd>
          {/* An image or an extraction is made in a lab, never seized. */}
          <dt>{item.kind === 'forensic_image' || item.kind === 'extraction' ? 'Acquired' : 'Seized'}</dt>
          <dd>
            {placeTime(item.occurredAt)} — {item.place}
          </dd>
          <dt>Serial</dt>
          <dd className="mono">{item.serial ?? '—'}</dd>
          {item.imeis.length > 0 && (
            <>
              <dt>IMEI</dt>
              <dd className="mono">{item.imeis.join(', ')}</dd>
            </>
          )}
          {item.iccid && (
            <>
              <dt>ICCID</dt>
              <dd className="mono">{item.iccid}</dd>
            </>
          )}
          {item.parent && (
            <>
              <dt>Part of / made from</dt>
              <dd>
                <AppLink to={`/items/${item.parent.id}`}>{item.parent.itemNumber}</AppLink>
              </dd>
            </>
          )}
        </dl>
        <div className="card">
          <h2>Hashes</h2>
          <HashTable hashes={hashes} />
        </div>
      </div>

      <div className="toolbar" role="toolbar" aria-label="Item actions">
        {canHash && (
          <button type="button" onClick={() => setPanel('hashes')}>
            Record hashes
          </button>
        )}
        {canImport && (
          <button type="button" onClick={() => setPanel('import')}>
            Import hashes from a log…
          </button>
        )}
        {holder && (
          <button type="button" onClick={() => setPanel('move')}>
            Move to storage
          </button>
        )}
        {holder && (
          <button type="button" onClick={() => setPanel('transfer')}>
            Hand over
          </button>
        )}
        {canDerive && (
          <button type="button" onClick={() => setPanel('derive')}>
            Register image / extraction
          </button>
        )}
        {canDispose && (
          <button type="button" onClick={() => setPanel('dispose')}>
            Dispose…
          </button>
        )}
        {canCorrect && (
          <button type="button" onClick={() => setPanel('correct')}>
            Correct a record…
          </button>
        )}
        <button type="button" onClick={() => void download(`/items/${item.id}/report.pdf`, 'custody-report.pdf')}>
          Court report (PDF)
        </button>
        <button type="button" onClick={() => void download(`/items/${item.id}/bundle`, 'custody-bundle.json')}>
          Verifiable bundle
        </button>
        {canLabel && (
          <button
            type="button"
            onClick={() => void download(`/cases/${item.case.id}/labels.pdf?items=${item.id}`, 'label.pdf')}
          >
            Print label
          </button>
        )}
      </div>

      {panel === 'hashes' && (
        <HashForm user={user} item={item} hashes={hashes} onCancel={() => setPanel(null)} onDone={done} />
      )}
      {panel === 'import' && (
        <Suspense fallback={<Loading />}>
          <ImportLogForm user={user} item={item} onCancel={() => setPanel(null)} onDone={done} />
        </Suspense>
      )}
      {panel === 'move' && <MoveForm item={item} onCancel={() => setPanel(null)} onDone={done} />}
      {panel === 'dispose' && <DisposeForm user={user} item={item} onCancel={() => setPanel(null)} onDone={done} />}
      {panel === 'correct' && (
        <CorrectionForm
          user={user}
          item={item}
          events={events.filter(correctable)}
          onCancel={() => setPanel(null)}
          onDone={done}
        />
      )}
      {panel === 'derive' && <DeriveForm user={user} item={item} onCancel={() => setPanel(null)} onDone={done} />}
      {panel === 'transfer' && (
        <TransferPanel
          user={user}
          items={[item]}
          onCancel={() => setPanel(null)}
          onDone={(transfer) => done(`Released to ${transfer.to.displayName}: waiting for their signature.`)}
        />
      )}

      <h2>Custody timeline</h2>
      <p className="muted">
        Oldest first. Each entry is numbered in the tamper-evident ledger (<em>ledger #</em>): court reports and bundles
        cite these numbers, and a correction names the entry it corrects.
      </p>
      <ol className="timeline">
        {events.map((event) => (
          <TimelineEntry key={event.ledgerIndex} event={event} sealNumber={item.sealNumber} />
        ))}
      </ol>
    </section>
  );
}

function HashTable({ hashes }: { hashes: readonly HashRecord[] }): ReactNode {
  if (hashes.length === 0) return <p className="muted">No hash recorded yet.</p>;
  return (
    <table className="list compact">
      <thead>
        <tr>
          <th scope="col">Target</th>
          <th scope="col">Role</th>
          <th scope="col">Algorithm and value</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {hashes.map((hash) => (
          <tr key={hash.id}>
            <td>{hash.target}</td>
            <td>
              {hash.role}
              {hash.weak ? ' (weak)' : ''}
            </td>
            <td className="mono hash">
              {hash.algorithm}: {hash.value}
            </td>
            <td>
              <HashResult result={hash.result} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TimelineEntry({ event, sealNumber }: { event: HistoryEvent; sealNumber: string | null }): ReactNode {
  const brokenSeal = event.seal?.intact === false;
  const mismatch = event.hashes.some((hash) => hash.result === 'mismatch');
  const tool = toolOf(event);
  return (
    <li className={`event${brokenSeal || mismatch ? ' event-bad' : ''}`}>
      <div className="event-head">
        <strong>{event.summary}</strong>
        <span className="muted">
          {' '}
          · ledger #{event.ledgerIndex} · recorded {localTime(event.recordedAt)}
        </span>
      </div>
      <dl className="event-facts">
        {event.occurredAt && (
          <>
            <dt>When</dt>
            <dd>{placeTime(event.occurredAt)}</dd>
          </>
        )}
        {event.actor && (
          <>
            <dt>Who</dt>
            <dd>
              {event.actor.displayName} ({event.actor.agency ?? '—'}
              {event.actor.role ? `, ${event.actor.role}` : ''})
            </dd>
          </>
        )}
        {event.from && event.to && (
          <>
            <dt>From → to</dt>
            <dd>
              {event.from.displayName} ({event.from.agency}) → {event.to.displayName} ({event.to.agency})
            </dd>
          </>
        )}
        {event.purpose && (
          <>
            <dt>Why</dt>
            <dd>{event.purpose}</dd>
          </>
        )}
        {event.location && (
          <>
            <dt>Where</dt>
            <dd>{event.location}</dd>
          </>
        )}
        {event.seal && (
          <>
            <dt>Seal</dt>
            <dd>
              <span className="mono">{event.seal.number ?? sealNumber ?? 'no seal'}</span>
              {/* An item registered without a seal has none to be intact. */}
              {event.seal.intact === true && (event.seal.number ?? sealNumber) !== null && (
                <span className="badge ok">intact</span>
              )}
              {event.seal.intact === false && <span className="badge bad">⚠ BROKEN</span>}
              {event.seal.note ? ` — ${event.seal.note}` : ''}
            </dd>
          </>
        )}
        {event.reason && (
          <>
            <dt>Reason</dt>
            <dd>{event.reason}</dd>
          </>
        )}
        {event.hashes.length > 0 && (
          <>
            <dt>Hashes</dt>
            <dd>
              <ul className="plain">
                {event.hashes.map((hash) => (
                  <li key={`${hash.target}-${hash.algorithm}`}>
                    {hash.target} {hash.algorithm} ({hash.role}) <span className="mono hash">{hash.value}</span>{' '}
                    {hash.result !== null && <HashResult result={hash.result} />}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {tool && (
          <>
            <dt>Tool</dt>
            <dd>{tool}</dd>
          </>
        )}
        {event.signatures.length > 0 && (
          <>
            <dt>Signed</dt>
            <dd>
              <ul className="plain signatures">
                {event.signatures.map((signature) => (
                  <li key={`${signature.username}-${signature.meaning}`}>
                    ✍ <strong>{signature.printedName}</strong> ({signature.agency ?? '—'}, {signature.role}) —{' '}
                    <em>{signature.meaning}</em> — {localTime(signature.signedAt)}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {event.correctedBy.length > 0 && (
          <>
            <dt>Corrected</dt>
            <dd>
              by ledger #
              {event.correctedBy.map((correction) => `${correction.index} (${correction.reason})`).join(', ')}
            </dd>
          </>
        )}
      </dl>
    </li>
  );
}

/** The tool a hash was computed with, as the entry records it and the court report prints it ("Guymager 0.8.13"). */
function toolOf(event: HistoryEvent): string | null {
  const data = event.data ?? {};
  const named = (name: unknown, version: unknown): string | null =>
    typeof name === 'string' && name !== ''
      ? `${name}${typeof version === 'string' && version ? ` ${version}` : ''}`
      : null;
  if (event.type === 'hash.recorded') {
    const tool = data.tool as { name?: unknown; version?: unknown } | null | undefined;
    return tool ? named(tool.name, tool.version) : null;
  }
  if (event.type === 'item.derived') {
    const acquisition = data.acquisition as { tool?: unknown; toolVersion?: unknown } | undefined;
    return acquisition ? named(acquisition.tool, acquisition.toolVersion) : null;
  }
  return null;
}

/** The target a new hash record most likely names: the item's reference target, else what it is. */
export function defaultHashTarget(item: ItemView, hashes: readonly HashRecord[]): string {
  const reference = hashes.find((hash) => hash.role === 'reference');
  if (reference) return reference.target;
  return item.kind === 'forensic_image' || item.kind === 'extraction' ? '' : 'device';
}

function HashForm({
  user,
  item,
  hashes,
  onDone,
  onCancel,
}: {
  user: User;
  item: ItemView;
  hashes: readonly HashRecord[];
  onDone: (message: string) => void;
  onCancel: () => void;
}): ReactNode {
  const [target, setTarget] = useState(() => defaultHashTarget(item, hashes));
  const [values, setValues] = useState<Array<{ algorithm: string; value: string }>>([
    { algorithm: 'sha256', value: '' },
    { algorithm: 'md5', value: '' },
  ]);
  const [tool, setTool] = useState('');
  const [toolVersion, setToolVersion] = useState('');
  const [occurredAt, setOccurredAt] = useState(localNow());
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const isReference = !hashes.some((hash) => hash.target === target.trim() && hash.role === 'reference');

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    const given = values
      .filter((entry) => entry.value.trim() !== '')
      .map((entry) => ({ algorithm: entry.algorithm, value: entry.value.trim() }));
    try {
      await api.post(`/items/${item.id}/hashes`, {
        target: target.trim(),
        hashes: given,
        ...(tool.trim() ? { tool: tool.trim() } : {}),
        ...(toolVersion.trim() ? { toolVersion: toolVersion.trim() } : {}),
        occurredAt: withLocalOffset(occurredAt),
        ...(password !== '' || isReference
          ? { signature: { password, meaning: isReference ? 'acquired' : 'verified' } }
          : {}),
      });
      onDone(
        isReference ? `Reference hashes of “${target}” recorded and signed.` : `Verification of “${target}” recorded.`,
      );
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
      setPassword('');
    }
  };

  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="hash-title">
      <h2 id="hash-title">Record hashes of {item.itemNumber}</h2>
      <p className="muted">
        {isReference
          ? `No reference exists for “${target}” yet: these values become its reference and must be signed “acquired”.`
          : `“${target}” has a reference: these values are compared with it (match or mismatch).`}
      </p>
      <ProblemBanner
        problem={problem}
        fields={['target', 'hashes', 'tool', 'toolVersion', 'occurredAt', 'signature']}
      />
      <div className="grid">
        <Field
          label="What was hashed (target)"
          name="target"
          problem={problem}
          hint="device, image.e01, extraction.zip…"
        >
          {(attributes) => (
            <input
              {...attributes}
              required
              autoFocus
              value={target}
              onChange={(event) => setTarget(event.target.value)}
            />
          )}
        </Field>
        <Field label="Tool" name="tool" problem={problem}>
          {(attributes) => <input {...attributes} value={tool} onChange={(event) => setTool(event.target.value)} />}
        </Field>
        <Field label="Tool version" name="toolVersion" problem={problem}>
          {(attributes) => (
            <input {...attributes} value={toolVersion} onChange={(event) => setToolVersion(event.target.value)} />
          )}
        </Field>
        <Field label="Computed at" name="occurredAt" problem={problem} hint={localTimeHint(occurredAt)}>
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
        {values.map((entry, n) => (
          <div key={n} className="pair wide">
            <Field label={`Algorithm ${n + 1}`}>
              {(attributes) => (
                <select
                  {...attributes}
                  value={entry.algorithm}
                  onChange={(event) =>
                    setValues((all) => all.map((e, m) => (m === n ? { ...e, algorithm: event.target.value } : e)))
                  }
                >
                  {HASH_ALGORITHMS.map((algorithm) => (
                    <option key={algorithm}>{algorithm}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              label={`Value ${n + 1} (hex)`}
              name={`hashes[${n}]`}
              problem={problem}
              check={checkHashValue(entry.algorithm, entry.value)}
              wide
            >
              {(attributes) => (
                <input
                  {...attributes}
                  className="mono"
                  spellCheck={false}
                  value={entry.value}
                  onChange={(event) =>
                    setValues((all) => all.map((e, m) => (m === n ? { ...e, value: event.target.value } : e)))
                  }
                />
              )}
            </Field>
          </div>
        ))}
      </div>
      <SignatureFields
        who={user.displayName}
        meaning={isReference ? 'acquired' : 'verified'}
        statement={
          isReference
            ? 'I computed these values from the evidence and they are its reference.'
            : 'I computed these values to verify the evidence.'
        }
        password={password}
        onPassword={setPassword}
        problem={problem}
        optional={!isReference}
      />
      <FormActions submit={isReference ? 'Sign and save hashes' : 'Save hashes'} onCancel={onCancel} />
    </form>
  );
}

function MoveForm({
  item,
  onDone,
  onCancel,
}: {
  item: ItemView;
  onDone: (message: string) => void;
  onCancel: () => void;
}): ReactNode {
  const [location, setLocation] = useState('');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    try {
      await api.post(`/items/${item.id}/location`, {
        location: location.trim(),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      onDone(`Moved to ${location.trim()}.`);
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="move-title">
      <h2 id="move-title">Move {item.itemNumber} to another storage location</h2>
      <ProblemBanner problem={problem} fields={['location', 'reason']} />
      <div className="grid">
        <Field label="New location" name="location" problem={problem} hint="e.g. Madrid/HQ/Room 2/Shelf B/Bin 4">
          {(attributes) => (
            <input
              {...attributes}
              required
              autoFocus
              value={location}
              onChange={(event) => setLocation(event.target.value)}
            />
          )}
        </Field>
        <Field label="Reason" name="reason" problem={problem}>
          {(attributes) => <input {...attributes} value={reason} onChange={(event) => setReason(event.target.value)} />}
        </Field>
      </div>
      <FormActions submit="Record the move" onCancel={onCancel} />
    </form>
  );
}

const DISPOSITIONS = [
  ['returned_to_owner', 'Returned to owner'],
  ['destroyed', 'Destroyed'],
  ['released_to_authority', 'Released to another authority'],
] as const;

/** Disposal: terminal, signed `disposed` by the custodian and `witnessed` by a witness on the same screen. */
function DisposeForm({
  user,
  item,
  onDone,
  onCancel,
}: {
  user: User;
  item: ItemView;
  onDone: (message: string) => void;
  onCancel: () => void;
}): ReactNode {
  // No default: what happens to the evidence is always a choice, never a pre-selected option.
  const [disposition, setDisposition] = useState<string>('');
  const [authorityReference, setAuthority] = useState('');
  const [recipient, setRecipient] = useState('');
  const [notes, setNotes] = useState('');
  const [occurredAt, setOccurredAt] = useState(localNow());
  const [witness, setWitness] = useState('');
  const [witnessPassword, setWitnessPassword] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    try {
      await api.post(`/items/${item.id}/disposition`, {
        disposition,
        authorityReference: authorityReference.trim(),
        ...(recipient.trim() ? { recipient: recipient.trim() } : {}),
        ...(notes.trim() ? { notes: notes.trim() } : {}),
        occurredAt: withLocalOffset(occurredAt),
        witness: { username: witness.trim().toLowerCase(), password: witnessPassword },
        signature: { password, meaning: 'disposed' },
      });
      onDone(`${item.itemNumber} was disposed of. Nothing but corrections can follow.`);
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
      setPassword('');
      setWitnessPassword('');
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="dispose-title">
      <h2 id="dispose-title">Dispose of {item.itemNumber}</h2>
      <p className="muted">
        This is final: after it, the item can only be corrected, never moved or handed over again.
      </p>
      <ProblemBanner
        problem={problem}
        fields={['disposition', 'authorityReference', 'recipient', 'notes', 'occurredAt', 'witness', 'signature']}
      />
      <div className="grid">
        <Field label="Disposition" name="disposition" problem={problem}>
          {(attributes) => (
            <select
              {...attributes}
              required
              autoFocus
              value={disposition}
              onChange={(event) => setDisposition(event.target.value)}
            >
              <option value="" disabled>
                — choose —
              </option>
              {DISPOSITIONS.map(([value, words]) => (
                <option key={value} value={value}>
                  {words}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Authorising order"
          name="authorityReference"
          problem={problem}
          hint="e.g. JI-7 Madrid, auto 311/2027"
        >
          {(attributes) => (
            <input
              {...attributes}
              required
              value={authorityReference}
              onChange={(event) => setAuthority(event.target.value)}
            />
          )}
        </Field>
        <Field
          label="Recipient"
          name="recipient"
          problem={problem}
          hint="Needed when returned or released; a reference for an owner"
        >
          {(attributes) => (
            <input {...attributes} value={recipient} onChange={(event) => setRecipient(event.target.value)} />
          )}
        </Field>
        <Field label="When" name="occurredAt" problem={problem} hint={localTimeHint(occurredAt)}>
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
        <Field label="Notes" name="notes" problem={problem} wide>
          {(attributes) => <input {...attributes} value={notes} onChange={(event) => setNotes(event.target.value)} />}
        </Field>
      </div>
      <fieldset className="signature">
        <legend>Witness</legend>
        <p className="statement">
          The witness types their own username and password here: they sign with the meaning{' '}
          <strong className="meaning">witnessed</strong>.
        </p>
        <div className="grid">
          <Field label="Witness username" name="witness.username" problem={problem}>
            {(attributes) => (
              <input
                {...attributes}
                required
                autoComplete="off"
                value={witness}
                onChange={(event) => setWitness(event.target.value)}
              />
            )}
          </Field>
          <Field label="Witness password" name="witness.password" problem={problem}>
            {(attributes) => (
              <input
                {...attributes}
                type="password"
                autoComplete="off"
                required
                value={witnessPassword}
                onChange={(event) => setWitnessPassword(event.target.value)}
              />
            )}
          </Field>
        </div>
      </fieldset>
      <SignatureFields
        who={user.displayName}
        meaning="disposed"
        statement="I disposed of this item as stated, under the order given."
        password={password}
        onPassword={setPassword}
        problem={problem}
      />
      <FormActions submit="Sign and dispose" tone="danger" onCancel={onCancel} />
    </form>
  );
}

/** A forensic image or extraction made from an item the examiner holds; its acquisition hash becomes its reference. */
function DeriveForm({
  user,
  item,
  onDone,
  onCancel,
}: {
  user: User;
  item: ItemView;
  onDone: (message: string) => void;
  onCancel: () => void;
}): ReactNode {
  const [kind, setKind] = useState<'forensic_image' | 'extraction'>('forensic_image');
  const [description, setDescription] = useState(`Image of ${item.itemNumber}`);
  const [tool, setTool] = useState('');
  const [toolVersion, setToolVersion] = useState('');
  const [method, setMethod] = useState('');
  const [target, setTarget] = useState('image.e01');
  const [sha256, setSha256] = useState('');
  const [occurredAt, setOccurredAt] = useState(localNow());
  const [place, setPlace] = useState(item.location ?? '');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    try {
      const result = await api.post<{ items: ItemView[] }>(`/cases/${item.case.id}/items`, {
        items: [
          {
            kind,
            description: description.trim(),
            parentId: item.id,
            occurredAt: withLocalOffset(occurredAt),
            place: place.trim(),
            acquisition: {
              tool: tool.trim(),
              toolVersion: toolVersion.trim(),
              ...(method.trim() ? { method: method.trim() } : {}),
              target: target.trim(),
              hashes: [{ algorithm: 'sha256', value: sha256.trim() }],
            },
          },
        ],
        signature: { password, meaning: 'acquired' },
      });
      onDone(`Registered ${result.items[0].itemNumber}, made from ${item.itemNumber}, in your custody.`);
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
      setPassword('');
    }
  };
  const at = 'items[0]';
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="derive-title">
      <h2 id="derive-title">Register an image or extraction of {item.itemNumber}</h2>
      <ProblemBanner problem={problem} fields={[at, 'signature']} />
      <div className="grid">
        <Field label="Kind" name={`${at}.kind`} problem={problem}>
          {(attributes) => (
            <select
              {...attributes}
              autoFocus
              value={kind}
              onChange={(event) => setKind(event.target.value as 'forensic_image' | 'extraction')}
            >
              <option value="forensic_image">Forensic image</option>
              <option value="extraction">Extraction</option>
            </select>
          )}
        </Field>
        <Field label="Description" name={`${at}.description`} problem={problem} wide>
          {(attributes) => (
            <input
              {...attributes}
              required
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
          )}
        </Field>
        <Field label="Acquired at" name={`${at}.occurredAt`} problem={problem} hint={localTimeHint(occurredAt)}>
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
        <Field label="Tool" name={`${at}.acquisition.tool`} problem={problem} hint="e.g. Guymager, FTK Imager">
          {(attributes) => (
            <input {...attributes} required value={tool} onChange={(event) => setTool(event.target.value)} />
          )}
        </Field>
        <Field label="Tool version" name={`${at}.acquisition.toolVersion`} problem={problem}>
          {(attributes) => (
            <input
              {...attributes}
              required
              value={toolVersion}
              onChange={(event) => setToolVersion(event.target.value)}
            />
          )}
        </Field>
        <Field
          label="File (target)"
          name={`${at}.acquisition.target`}
          problem={problem}
          hint="lower case, e.g. image.e01"
        >
          {(attributes) => (
            <input {...attributes} required value={target} onChange={(event) => setTarget(event.target.value)} />
          )}
        </Field>
        <Field label="Place" name={`${at}.place`} problem={problem}>
          {(attributes) => (
            <input {...attributes} required value={place} onChange={(event) => setPlace(event.target.value)} />
          )}
        </Field>
        <Field label="Method" name={`${at}.acquisition.method`} problem={problem} wide>
          {(attributes) => <input {...attributes} value={method} onChange={(event) => setMethod(event.target.value)} />}
        </Field>
        <Field
          label="SHA-256 of the file"
          name={`${at}.acquisition.hashes`}
          problem={problem}
          check={checkHashValue('sha256', sha256)}
          wide
        >
          {(attributes) => (
            <input
              {...attributes}
              className="mono"
              spellCheck={false}
              required
              value={sha256}
              onChange={(event) => setSha256(event.target.value)}
            />
          )}
        </Field>
      </div>
      <SignatureFields
        who={user.displayName}
        meaning="acquired"
        statement="I made this image and computed its hash, which becomes its reference."
        password={password}
        onPassword={setPassword}
        problem={problem}
      />
      <FormActions submit="Sign and register" onCancel={onCancel} />
    </form>
  );
}

/** Entries a correction may name: what was registered (seizure, image) and storage moves (docs/custody.md). */
const correctable = (event: HistoryEvent): boolean =>
  event.type === 'item.seized' || event.type === 'item.derived' || event.type === 'item.moved';

const REGISTRATION_FIELDS = [
  ['description', 'Description'],
  ['make', 'Make'],
  ['model', 'Model'],
  ['serial', 'Serial number'],
  ['imeis', 'IMEI(s)'],
  ['iccid', 'ICCID (SIM)'],
  ['sealNumber', 'Seal (bag) number'],
  ['occurredAt', 'Seized at (with UTC offset)'],
  ['place', 'Place'],
] as const;
type RegistrationField = (typeof REGISTRATION_FIELDS)[number][0];

/**
 * A correction: nothing is edited; a new entry signed `corrected` names the entry it corrects, why,
 * and the corrected values. Only the values changed here are sent.
 */
function CorrectionForm(props: {
  user: User;
  item: ItemView;
  events: readonly HistoryEvent[];
  onDone: (message: string) => void;
  onCancel: () => void;
}): ReactNode {
  const { user, item, events } = props;
  const [corrects, setCorrects] = useState<number>(events[0].ledgerIndex);
  const target = events.find((event) => event.ledgerIndex === corrects) ?? events[0];
  const isMove = target.type === 'item.moved';
  const original: Record<RegistrationField, string> = {
    description: item.description,
    make: item.make ?? '',
    model: item.model ?? '',
    serial: item.serial ?? '',
    imeis: item.imeis.join(' '),
    iccid: item.iccid ?? '',
    sealNumber: item.sealNumber ?? '',
    occurredAt: item.occurredAt,
    place: item.place,
  };
  const [values, setValues] = useState<Record<RegistrationField, string>>(original);
  const [location, setLocation] = useState(target.location ?? '');
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);

  const changes = (): Record<string, unknown> => {
    if (isMove) return location.trim() === (target.location ?? '') ? {} : { location: location.trim() };
    const changed: Record<string, unknown> = {};
    for (const [field] of REGISTRATION_FIELDS) {
      const value = values[field].trim();
      if (value === original[field]) continue;
      changed[field] = field === 'imeis' ? value.split(/[\s,]+/).filter(Boolean) : value;
    }
    return changed;
  };
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    const changed = changes();
    try {
      await api.post(`/items/${item.id}/corrections`, {
        corrects,
        reason: reason.trim(),
        changes: changed,
        signature: { password, meaning: 'corrected' },
      });
      props.onDone(
        `Correction of ledger #${corrects} recorded and signed: ${Object.keys(changed).join(', ') || 'nothing'} corrected.`,
      );
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
      setPassword('');
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="correct-title">
      <h2 id="correct-title">Correct a record of {item.itemNumber}</h2>
      <p className="muted">
        Nothing is erased: the original entry stays in the timeline, marked as corrected, and your signed correction
        says what it should have said and why. Custody itself (who held it, seals, hash values) is never corrected —
        record a new event instead.
      </p>
      <ProblemBanner problem={problem} fields={['corrects', 'reason', 'changes', 'signature']} />
      <div className="grid">
        <Field label="Record to correct" name="corrects" problem={problem} wide>
          {(attributes) => (
            <select
              {...attributes}
              autoFocus
              value={corrects}
              onChange={(event) => setCorrects(Number(event.target.value))}
            >
              {events.map((event) => (
                <option key={event.ledgerIndex} value={event.ledgerIndex}>
                  #{event.ledgerIndex} — {event.summary}
                </option>
              ))}
            </select>
          )}
        </Field>
        {isMove ? (
          <Field label="Location it should have said" name="changes.location" problem={problem} wide>
            {(attributes) => (
              <input {...attributes} required value={location} onChange={(event) => setLocation(event.target.value)} />
            )}
          </Field>
        ) : (
          REGISTRATION_FIELDS.map(([field, label]) => (
            <Field
              key={field}
              label={label}
              name={`changes.${field}`}
              problem={problem}
              wide={field === 'description'}
              hint={field === 'occurredAt' ? 'As recorded, e.g. 2026-11-20T09:14:00+01:00' : undefined}
            >
              {(attributes) => (
                <input
                  {...attributes}
                  className={values[field] !== original[field] ? 'changed' : undefined}
                  spellCheck={field === 'description' || field === 'place'}
                  value={values[field]}
                  onChange={(event) => setValues((all) => ({ ...all, [field]: event.target.value }))}
                />
              )}
            </Field>
          ))
        )}
        <Field label="Why (for the record)" name="reason" problem={problem} wide>
          {(attributes) => (
            <input {...attributes} required value={reason} onChange={(event) => setReason(event.target.value)} />
          )}
        </Field>
      </div>
      <SignatureFields
        who={user.displayName}
        meaning="corrected"
        statement="the corrected values are what the record should have said, for the reason given."
        password={password}
        onPassword={setPassword}
        problem={problem}
      />
      <div className="actions">
        <button type="submit" className="primary">
          Sign and correct
        </button>
        <button type="button" className="quiet" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
