import { useEffect, useState, type FormEvent, type ReactNode } from 'react';

import { api, ApiProblem } from '../api';
import { localNow, localTimeHint, withLocalOffset } from '../evidence';
import type { ItemView, Party, Problem, TransferView, User } from '../types';
import { Field, FormActions, ProblemBanner, SignatureFields } from '../ui';

/** Everyone in `lists` but me, once each, by name: the people a receiver is usually chosen from. */
function receivers(user: User, ...lists: ReadonlyArray<readonly Party[]>): Party[] {
  const byUsername = new Map<string, Party>();
  for (const person of lists.flat())
    if (person.username !== user.username && !byUsername.has(person.username)) byUsername.set(person.username, person);
  return [...byUsername.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
}

/**
 * Start a hand-over of items I hold: the receiver, the purpose, and my signature `released`. Nobody
 * knows usernames by heart: the receiver box offers the people of this case (`people`) and everyone I
 * recently handed items to or received them from.
 */
export function TransferPanel({
  user,
  items,
  people = [],
  onDone,
  onCancel,
}: {
  user: User;
  items: readonly ItemView[];
  people?: readonly Party[];
  onDone: (transfer: TransferView) => void;
  onCancel: () => void;
}): ReactNode {
  const [recent, setRecent] = useState<readonly Party[]>([]);
  useEffect(() => {
    api.get<{ transfers: TransferView[] }>('/transfers?limit=50').then(
      ({ transfers }) => setRecent(transfers.flatMap((transfer) => [transfer.from, transfer.to])),
      () => setRecent([]), // Only suggestions: the username can still be typed.
    );
  }, []);
  const suggestions = receivers(user, people, recent);
  const [to, setTo] = useState('');
  const [purpose, setPurpose] = useState('');
  // Empty: now, as the server's clock says. A hand-over entered afterwards states its own time.
  const [occurredAt, setOccurredAt] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const transfer = await api.post<TransferView>('/transfers', {
        itemIds: items.map((item) => item.id),
        to: to.trim().toLowerCase(),
        purpose: purpose.trim(),
        ...(occurredAt ? { occurredAt: withLocalOffset(occurredAt) } : {}),
        signature: { password, meaning: 'released' },
      });
      onDone(transfer);
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="transfer-title">
      <h2 id="transfer-title">
        Hand over {items.length} item{items.length === 1 ? '' : 's'}
      </h2>
      <p className="muted">
        {items.map((item) => item.itemNumber).join(', ')}. They stay in your custody until the receiver signs for them.
      </p>
      <ProblemBanner problem={problem} fields={['to', 'purpose', 'occurredAt', 'signature', 'itemIds']} />
      <div className="grid">
        <Field
          label="Receiver’s username"
          name="to"
          problem={problem}
          hint="Type it, or pick someone from this case or your recent hand-overs; the case must be shared with their agency"
        >
          {(attributes) => (
            <>
              <input
                {...attributes}
                required
                autoFocus
                autoComplete="off"
                list="transfer-receivers"
                value={to}
                onChange={(event) => setTo(event.target.value)}
              />
              <datalist id="transfer-receivers">
                {suggestions.map((person) => (
                  <option
                    key={person.username}
                    value={person.username}
                    label={`${person.displayName}${person.agency ? ` (${person.agency})` : ''}`}
                  />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Purpose" name="purpose" problem={problem} hint="e.g. Forensic acquisition at the lab">
          {(attributes) => (
            <input {...attributes} required value={purpose} onChange={(event) => setPurpose(event.target.value)} />
          )}
        </Field>
        <Field
          label="When (if not now)"
          name="occurredAt"
          problem={problem}
          hint={`${localTimeHint(occurredAt || localNow())}; leave empty for now`}
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
      </div>
      <SignatureFields
        who={user.displayName}
        meaning="released"
        statement={`I release these items to ${to.trim() || 'the receiver'} for the purpose stated.`}
        password={password}
        onPassword={setPassword}
        problem={problem}
      />
      <FormActions submit="Sign and hand over" disabled={busy} onCancel={onCancel} />
    </form>
  );
}
