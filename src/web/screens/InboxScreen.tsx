import { Fragment, useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';

import { api, ApiProblem, plainWords } from '../api';
import { AppLink, INBOX_CHANGED } from '../App';
import { checkHashValue, count, itemKindWords, localNow, localTimeHint, placeTime, withLocalOffset } from '../evidence';
import { HASH_ALGORITHMS, type Problem, type TransferView, type User } from '../types';
import { Field, FormActions, Loading, Notice, ProblemBanner, SignatureFields } from '../ui';

/** Transfers waiting for my signature (incoming) and the ones I sent that are not yet accepted. */
export function InboxScreen({ user }: { user: User }): ReactNode {
  const [incoming, setIncoming] = useState<TransferView[] | null>(null);
  const [outgoing, setOutgoing] = useState<TransferView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [inbox, outbox] = await Promise.all([
        api.get<{ transfers: TransferView[] }>('/transfers?direction=incoming&status=pending&limit=100'),
        api.get<{ transfers: TransferView[] }>('/transfers?direction=outgoing&status=pending&limit=100'),
      ]);
      setIncoming(inbox.transfers);
      setOutgoing(outbox.transfers);
      window.dispatchEvent(new Event(INBOX_CHANGED));
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load the inbox');
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const cancel = async (transfer: TransferView): Promise<void> => {
    try {
      await api.post(`/transfers/${transfer.id}/cancel`, {});
      setNotice(`Transfer to ${transfer.to.displayName} cancelled: the items stay with you.`);
      void load();
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not cancel');
    }
  };

  return (
    <section>
      <h1>Inbox</h1>
      {notice && <Notice>{notice}</Notice>}
      {error && <div className="banner error">{error}</div>}
      {incoming === null && !error && <Loading />}
      {incoming !== null && (
        <>
          <h2>Waiting for your signature ({incoming.length})</h2>
          {incoming.length === 0 && <p className="muted">Nothing is being handed to you right now.</p>}
          {incoming.map((transfer) => (
            <article key={transfer.id} className="card transfer" aria-labelledby={`transfer-${transfer.id}`}>
              <header className="transfer-head">
                <h3 id={`transfer-${transfer.id}`}>
                  {transfer.itemCount} item{transfer.itemCount === 1 ? '' : 's'} from {transfer.from.displayName} (
                  {transfer.from.agency}) — case{' '}
                  <AppLink to={`/cases/${transfer.case.id}`}>{transfer.case.caseNumber}</AppLink>
                </h3>
                <p className="muted">
                  Purpose: {transfer.purpose} · released {placeTime(transfer.releaseOccurredAt)}
                </p>
              </header>
              {open === transfer.id ? (
                <ReceiveForm
                  user={user}
                  transfer={transfer}
                  onCancel={() => setOpen(null)}
                  onDone={(message) => {
                    setOpen(null);
                    setNotice(message);
                    void load();
                  }}
                />
              ) : (
                <>
                  <ul className="numbers">
                    {transfer.items.map((item) => (
                      <li key={item.id}>
                        <AppLink to={`/items/${item.id}`}>
                          <strong className="mono">{item.itemNumber}</strong>
                        </AppLink>{' '}
                        — {itemKindWords(item.kind)}, seal {item.sealNumber ?? 'none'}
                      </li>
                    ))}
                  </ul>
                  <button type="button" className="primary" onClick={() => setOpen(transfer.id)}>
                    Check and sign receipt…
                  </button>
                </>
              )}
            </article>
          ))}
          <h2>Sent by you, not yet accepted ({outgoing.length})</h2>
          {outgoing.length === 0 && <p className="muted">None.</p>}
          {outgoing.map((transfer) => (
            <div key={transfer.id} className="card row">
              <span>
                {count(transfer.itemCount, 'item')} to <strong>{transfer.to.displayName}</strong> — {transfer.purpose} (
                {transfer.items.map((item, n) => (
                  <Fragment key={item.id}>
                    {n > 0 && ', '}
                    <AppLink to={`/items/${item.id}`}>{item.itemNumber}</AppLink>
                  </Fragment>
                ))}
                ) — case <AppLink to={`/cases/${transfer.case.id}`}>{transfer.case.caseNumber}</AppLink>
              </span>
              <button type="button" className="quiet" onClick={() => void cancel(transfer)}>
                Cancel transfer
              </button>
            </div>
          ))}
        </>
      )}
    </section>
  );
}

interface ItemCheck {
  sealIntact: boolean;
  sealNote: string;
  algorithm: string;
  value: string;
  target: string;
}

/** Receipt: every item's seal checked, optional re-hash, then accept (`received`) or reject (`rejected`). */
function ReceiveForm({
  user,
  transfer,
  onDone,
  onCancel,
}: {
  user: User;
  transfer: TransferView;
  onDone: (message: string) => void;
  onCancel: () => void;
}): ReactNode {
  const [checks, setChecks] = useState<ItemCheck[]>(() =>
    transfer.items.map((item) => ({
      // A sealed bag is checked and unticked when damaged; an item with no seal has none to tick.
      sealIntact: true,
      sealNote: '',
      algorithm: 'sha256',
      value: '',
      // An image or extraction is hashed as its file (image.e01, …), never as "device".
      target: item.kind === 'forensic_image' || item.kind === 'extraction' ? '' : 'device',
    })),
  );
  const [location, setLocation] = useState('');
  // Empty: now, as the server's clock says.
  const [occurredAt, setOccurredAt] = useState('');
  const [password, setPassword] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const update = (n: number, change: Partial<ItemCheck>): void =>
    setChecks((all) => all.map((check, m) => (m === n ? { ...check, ...change } : check)));

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      if (rejecting) {
        await api.post(`/transfers/${transfer.id}/reject`, {
          reason: reason.trim(),
          signature: { password, meaning: 'rejected' },
        });
        onDone(`Rejected: the items stay with ${transfer.from.displayName}.`);
      } else {
        await api.post(`/transfers/${transfer.id}/accept`, {
          items: transfer.items.map((item, n) => ({
            itemId: item.id,
            sealIntact: checks[n].sealIntact,
            ...(checks[n].sealNote.trim() ? { sealNote: checks[n].sealNote.trim() } : {}),
            ...(checks[n].value.trim()
              ? {
                  hashes: [
                    { target: checks[n].target.trim(), algorithm: checks[n].algorithm, value: checks[n].value.trim() },
                  ],
                }
              : {}),
          })),
          ...(location.trim() ? { location: location.trim() } : {}),
          ...(occurredAt ? { occurredAt: withLocalOffset(occurredAt) } : {}),
          signature: { password, meaning: 'received' },
        });
        const broken = checks.filter((check) => !check.sealIntact).length;
        onDone(
          `Received ${count(transfer.itemCount, 'item')}: they are now in your custody.${broken > 0 ? ` ${count(broken, 'broken seal')} recorded.` : ''}`,
        );
      }
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} aria-label={`Receipt of transfer from ${transfer.from.displayName}`}>
      <ProblemBanner problem={problem} fields={['items', 'location', 'occurredAt', 'signature', 'reason']} />
      <fieldset className="choice">
        <legend>Your decision</legend>
        <label>
          <input
            type="radio"
            name={`decision-${transfer.id}`}
            checked={!rejecting}
            onChange={() => setRejecting(false)}
            autoFocus
          />{' '}
          Accept the items into my custody
        </label>
        <label>
          <input
            type="radio"
            name={`decision-${transfer.id}`}
            checked={rejecting}
            onChange={() => setRejecting(true)}
          />{' '}
          Reject the transfer (items stay with the sender)
        </label>
      </fieldset>
      {!rejecting && (
        <>
          <table className="list receipt">
            <caption>Check each bag against its label</caption>
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Seal</th>
                <th scope="col">Condition on receipt</th>
                <th scope="col">Re-hash on receipt (optional)</th>
              </tr>
            </thead>
            <tbody>
              {transfer.items.map((item, n) => (
                <tr key={item.id} className={checks[n].sealIntact ? undefined : 'row-bad'}>
                  <td>
                    <strong className="mono">{item.itemNumber}</strong>
                    <br />
                    <small className="muted">{itemKindWords(item.kind)}</small>
                  </td>
                  <td className="mono">{item.sealNumber ?? '—'}</td>
                  <td>
                    {item.sealNumber === null ? (
                      <label className="inline">
                        <input
                          type="checkbox"
                          checked={!checks[n].sealIntact}
                          onChange={(event) => update(n, { sealIntact: !event.target.checked })}
                        />{' '}
                        No seal: packaging of {item.itemNumber} damaged or opened
                      </label>
                    ) : (
                      <label className="inline">
                        <input
                          type="checkbox"
                          checked={checks[n].sealIntact}
                          onChange={(event) => update(n, { sealIntact: event.target.checked })}
                        />{' '}
                        Seal intact on {item.itemNumber}
                      </label>
                    )}
                    {!checks[n].sealIntact && (
                      <Field
                        label={`What is wrong with the ${item.sealNumber === null ? 'packaging' : 'seal'} of ${item.itemNumber}`}
                        name={`items[${n}].sealNote`}
                        problem={problem}
                      >
                        {(attributes) => (
                          <input
                            {...attributes}
                            required
                            value={checks[n].sealNote}
                            onChange={(event) => update(n, { sealNote: event.target.value })}
                          />
                        )}
                      </Field>
                    )}
                  </td>
                  <td>
                    <div className="hash-inline">
                      <Field
                        label={
                          <>
                            Target<span className="visually-hidden"> of {item.itemNumber}</span>
                          </>
                        }
                        name={`items[${n}].hashes`}
                        problem={problem}
                      >
                        {(attributes) => (
                          <input
                            {...attributes}
                            className="short"
                            value={checks[n].target}
                            onChange={(event) => update(n, { target: event.target.value })}
                          />
                        )}
                      </Field>
                      <Field
                        label={
                          <>
                            Algorithm<span className="visually-hidden"> of {item.itemNumber}</span>
                          </>
                        }
                      >
                        {(attributes) => (
                          <select
                            {...attributes}
                            value={checks[n].algorithm}
                            onChange={(event) => update(n, { algorithm: event.target.value })}
                          >
                            {HASH_ALGORITHMS.map((algorithm) => (
                              <option key={algorithm}>{algorithm}</option>
                            ))}
                          </select>
                        )}
                      </Field>
                      <Field
                        label={
                          <>
                            Hash value<span className="visually-hidden"> of {item.itemNumber}</span>
                          </>
                        }
                        check={checkHashValue(checks[n].algorithm, checks[n].value)}
                      >
                        {(attributes) => (
                          <input
                            {...attributes}
                            className="mono"
                            spellCheck={false}
                            value={checks[n].value}
                            onChange={(event) => update(n, { value: event.target.value })}
                          />
                        )}
                      </Field>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Field label="Where you keep them now" name="location" problem={problem} hint="e.g. Lab intake, safe 2">
            {(attributes) => (
              <input {...attributes} value={location} onChange={(event) => setLocation(event.target.value)} />
            )}
          </Field>
          <Field
            label="Received (if not now)"
            name="occurredAt"
            problem={problem}
            hint={`${localTimeHint(occurredAt || localNow())}; leave empty for now. Handed over ${placeTime(transfer.releaseOccurredAt)}`}
          >
            {(attributes) => (
              <input
                {...attributes}
                type="datetime-local"
                value={occurredAt}
                onChange={(event) => setOccurredAt(event.target.value)}
              />
            )}
          </Field>
        </>
      )}
      {rejecting && (
        <Field label="Why you reject" name="reason" problem={problem}>
          {(attributes) => (
            <input {...attributes} required value={reason} onChange={(event) => setReason(event.target.value)} />
          )}
        </Field>
      )}
      <SignatureFields
        who={user.displayName}
        meaning={rejecting ? 'rejected' : 'received'}
        statement={
          rejecting
            ? 'I refuse these items for the reason stated.'
            : 'I received these items in the condition recorded above.'
        }
        password={password}
        onPassword={setPassword}
        problem={problem}
      />
      <FormActions
        submit={rejecting ? 'Sign and reject' : 'Sign and accept'}
        tone={rejecting ? 'danger' : 'primary'}
        disabled={busy}
        cancel="Not now"
        onCancel={onCancel}
      />
    </form>
  );
}
