import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';

// The server's own list (a dependency-free module): the filter offers exactly the events the API accepts.
import { ACCESS_LOG_EVENTS, type AccessLogEvent } from '../../access-log/access-log-events';
import { api, ApiProblem, plainWords } from '../api';
import { localNow, localOffset, localTime, withLocalOffset } from '../evidence';
import { OutsideChecksFacts } from '../LedgerTrustBanner';
import type {
  Agency,
  LedgerVerification,
  LedgerVerificationRunning,
  LedgerVerifications,
  Problem,
  Role,
  User,
} from '../types';
import { Field, FormActions, Loading, Notice, ProblemBanner } from '../ui';

interface Checkpoint {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly keyName: string;
  readonly createdAt: string;
}

interface AccessLogEntry {
  readonly id: string;
  readonly occurredAt: string;
  readonly event: string;
  readonly outcome: string;
  readonly actor: { readonly username: string | null };
  readonly subject: { readonly type: string; readonly label: string | null } | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

type ManagedUser = User & {
  readonly active: boolean;
  readonly lastLoginAt: string | null;
  readonly timeZone: string | null;
};

const ROLES: readonly Role[] = ['officer', 'clerk', 'examiner', 'prosecutor', 'auditor', 'admin'];

/**
 * Administration and audit: the ledger's state for both; users (create, reset a password, disable,
 * enable) for agency administrators, and agencies for platform administrators; the access log with
 * filters for auditors (and platform administrators).
 */
export function AdminScreen({ user }: { user: User }): ReactNode {
  const admin = user.roles.includes('admin');
  return (
    <section>
      <h1>{admin ? 'Administration' : 'Audit'}</h1>
      <LedgerStatus canSign={admin || user.roles.includes('auditor')} />
      {admin && <Users user={user} />}
      {admin && <Agencies user={user} />}
      {(user.roles.includes('auditor') || (admin && user.platformAdmin)) && <AccessLog />}
    </section>
  );
}

function useLoad<T>(path: string): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  // Another query (a new filter) hides the old rows while it loads; a reload of the same keeps them.
  useEffect(() => setData(null), [path]);
  useEffect(() => {
    setError(null);
    api
      .get<T>(path)
      .then(setData, (failure: unknown) =>
        setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load'),
      );
  }, [path, tick]);
  return { data, error, reload: useCallback(() => setTick((n) => n + 1), []) };
}

function LedgerStatus({ canSign }: { canSign: boolean }): ReactNode {
  const { data, error, reload } = useLoad<Checkpoint>('/ledger/checkpoint');
  const verification = useVerifications(canSign);
  const [message, setMessage] = useState<string | null>(null);
  const signNow = async (): Promise<void> => {
    setMessage(null);
    try {
      const signed = await api.post<Checkpoint>('/ledger/checkpoints', {});
      setMessage(`Checkpoint signed: ${signed.treeSize} entries.`);
      reload();
    } catch (failure) {
      setMessage(failure instanceof ApiProblem ? plainWords(failure.problem) : 'The checkpoint was not signed');
    }
  };
  const age = data ? Date.now() - new Date(data.createdAt).getTime() : null;
  return (
    <div className="card" aria-labelledby="ledger-title">
      <h2 id="ledger-title">Ledger</h2>
      {error && <p className="muted">No signed checkpoint yet ({error}).</p>}
      {data && (
        <dl className="facts">
          <dt>Latest signed checkpoint</dt>
          <dd>
            {localTime(data.createdAt)}
            {age !== null && age > 26 * 3600 * 1000 && <span className="badge bad">⚠ over a day old</span>}
          </dd>
          <dt>Entries covered</dt>
          <dd>{data.treeSize}</dd>
          <dt>Root hash</dt>
          <dd className="mono hash">{data.rootHash}</dd>
          <dt>Signed by key</dt>
          <dd className="mono">{data.keyName}</dd>
        </dl>
      )}
      <OutsideChecksFacts reloadKey={data} />
      {canSign && <VerificationFacts state={verification} />}
      {message && <Notice>{message}</Notice>}
      {verification.error && (
        <p className="error" role="alert">
          {verification.error}
        </p>
      )}
      {canSign && (
        <div className="actions">
          <button type="button" onClick={() => void signNow()}>
            Sign a checkpoint now
          </button>
          <button
            type="button"
            disabled={verification.running !== null || verification.starting}
            onClick={() => void verification.start()}
          >
            Verify the whole ledger now
          </button>
        </div>
      )}
    </div>
  );
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

interface VerificationState {
  /** The latest recorded run; null: never verified; undefined: not loaded yet. */
  readonly latest: LedgerVerification | null | undefined;
  readonly running: LedgerVerificationRunning | null;
  readonly starting: boolean;
  readonly error: string | null;
  readonly start: () => Promise<void>;
}

/** The server's record of full verifications; asks again every 2 s while one runs (here or elsewhere). */
function useVerifications(enabled: boolean): VerificationState {
  const [list, setList] = useState<LedgerVerifications | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [tick, setTick] = useState(0);
  const [answers, setAnswers] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    api.get<LedgerVerifications>('/ledger/verifications?limit=1').then(
      (loaded) => {
        if (!live) return;
        setList(loaded);
        setError(null);
        setAnswers((n) => n + 1);
      },
      (failure: unknown) => {
        if (!live) return;
        setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load the verifications');
        setAnswers((n) => n + 1);
      },
    );
    return () => {
      live = false;
    };
  }, [enabled, tick]);
  const running = list?.running ?? null;
  useEffect(() => {
    if (running === null) return;
    const timer = setTimeout(() => setTick((n) => n + 1), 2000);
    return () => clearTimeout(timer);
  }, [running, answers]);
  const start = async (): Promise<void> => {
    setStarting(true);
    setError(null);
    try {
      const started = await api.post<LedgerVerificationRunning>('/ledger/verifications', {});
      setList((current) => ({ verifications: current?.verifications ?? [], running: started }));
    } catch (failure) {
      if (failure instanceof ApiProblem && failure.problem.code === 'verification_running') setTick((n) => n + 1);
      else setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'The verification did not start');
    } finally {
      setStarting(false);
    }
  };
  return { latest: list === null ? undefined : (list.verifications[0] ?? null), running, starting, error, start };
}

function VerificationFacts({ state }: { state: VerificationState }): ReactNode {
  const { latest, running } = state;
  return (
    <dl className="facts">
      <dt>Last full verification</dt>
      <dd>
        {latest === undefined && '…'}
        {latest === null && <span className="badge bad">never verified</span>}
        {latest && <VerificationSummary run={latest} />}
      </dd>
      {running && (
        <>
          <dt>Verification running</dt>
          <dd>
            running since {running.startedAt === null ? 'a moment ago' : localTime(running.startedAt)}
            {running.source === 'cli'
              ? ', from the command line'
              : running.requestedBy
                ? `, by ${running.requestedBy.displayName}`
                : ''}
          </dd>
        </>
      )}
    </dl>
  );
}

/** `2026-11-28 09:14 (UTC+01:00), ✓ verified 1,204 entries, by Elena Ruiz, took 3.2 s`. */
function VerificationSummary({ run }: { run: LedgerVerification }): ReactNode {
  const old = Date.now() - new Date(run.finishedAt).getTime() > WEEK_MS;
  return (
    <>
      {localTime(run.finishedAt)},{' '}
      {run.outcome === 'ok' && <span>✓ verified {(run.treeSize ?? 0).toLocaleString()} entries</span>}
      {run.outcome === 'failed' && (
        <strong className="verification-failed">
          ✗ FAILED{run.failedIndex === null ? '' : ` at entry ${run.failedIndex}`}: {run.reason}
        </strong>
      )}
      {run.outcome === 'error' && <span>could not run: {run.reason}</span>}
      {run.source === 'cli' ? ', from the command line' : `, by ${run.requestedBy?.displayName ?? 'an unknown user'}`},
      took {run.seconds.toFixed(1)} s{old && <span className="badge bad">⚠ over a week old</span>}
    </>
  );
}

/** 16 characters from an unambiguous alphabet: a temporary password the user replaces at sign-in. */
function temporaryPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}

function Users({ user }: { user: User }): ReactNode {
  const users = useLoad<{ users: ManagedUser[] }>('/users?limit=200');
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<ManagedUser | null>(null);
  const [notice, setNotice] = useState<ReactNode>(null);
  const [error, setError] = useState<string | null>(null);

  const setActive = async (target: ManagedUser, active: boolean): Promise<void> => {
    if (
      !active &&
      !window.confirm(
        `Disable ${target.displayName}? Their sessions end at once and they cannot sign in until enabled again.`,
      )
    )
      return;
    setError(null);
    try {
      await api.patch<ManagedUser>(`/users/${target.id}`, { active });
      setNotice(`${target.displayName} is ${active ? 'enabled' : 'disabled'}.`);
      users.reload();
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Nothing was changed');
    }
  };

  return (
    <>
      <div className="page-head">
        <h2>Users{user.agency && !user.platformAdmin ? ` of ${user.agency.code}` : ''}</h2>
        {!creating && (
          <div className="actions">
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              New user
            </button>
          </div>
        )}
      </div>
      {notice && <Notice>{notice}</Notice>}
      {error && <div className="banner error">{error}</div>}
      {creating && (
        <CreateUserForm
          user={user}
          onCancel={() => setCreating(false)}
          onCreated={(created, password) => {
            setCreating(false);
            setNotice(
              <>
                Created <strong>{created.username}</strong>.{' '}
                {password ? (
                  <>
                    Temporary password, shown once — give it to them in person:{' '}
                    <span className="secret">{password}</span>. They choose their own at first sign-in.
                  </>
                ) : (
                  'They must replace the password you chose at first sign-in.'
                )}
              </>,
            );
            users.reload();
          }}
        />
      )}
      {resetting && (
        <ResetPasswordForm
          target={resetting}
          onCancel={() => setResetting(null)}
          onDone={(password) => {
            setNotice(
              <>
                New temporary password of <strong>{resetting.username}</strong>, shown once:{' '}
                <span className="secret">{password}</span>. Their sessions ended; they choose their own at next sign-in.
              </>,
            );
            setResetting(null);
            users.reload();
          }}
        />
      )}
      {users.error && <div className="banner error">{users.error}</div>}
      {!users.data && !users.error && <Loading />}
      {users.data && (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Name</th>
              <th scope="col">Agency</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data.users.map((row) => (
              <tr key={row.id} className={row.active ? undefined : 'row-muted'}>
                <td className="mono">{row.username}</td>
                <td>{row.displayName}</td>
                <td>{row.agency?.code ?? 'platform'}</td>
                <td>{row.roles.join(', ')}</td>
                <td>
                  {row.active ? (
                    row.mustChangePassword ? (
                      <span className="badge state-transfer_pending">must change password</span>
                    ) : (
                      <span className="badge ok">active</span>
                    )
                  ) : (
                    <span className="badge">disabled</span>
                  )}
                </td>
                <td>{localTime(row.lastLoginAt)}</td>
                <td>
                  {row.id !== user.id && (
                    <span className="inline-actions">
                      <button
                        type="button"
                        className="quiet"
                        onClick={() => setResetting(row)}
                        // The visible words begin the accessible name (WCAG 2.5.3 Label in Name).
                        aria-label={`Reset password of ${row.username}`}
                      >
                        Reset password
                      </button>
                      <button
                        type="button"
                        className="quiet"
                        onClick={() => void setActive(row, !row.active)}
                        aria-label={`${row.active ? 'Disable' : 'Enable'} ${row.username}`}
                      >
                        {row.active ? 'Disable' : 'Enable'}
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function CreateUserForm({
  user,
  onCreated,
  onCancel,
}: {
  user: User;
  onCreated: (created: ManagedUser, password: string | null) => void;
  onCancel: () => void;
}): ReactNode {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  // Nothing pre-ticked: a role is a power the administrator grants on purpose.
  const [roles, setRoles] = useState<Role[]>([]);
  const [agencyCode, setAgencyCode] = useState(user.agency?.code ?? '');
  const [timeZone, setTimeZone] = useState('');
  const [agencies, setAgencies] = useState<Agency[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    if (user.platformAdmin)
      api.get<{ agencies: Agency[] }>('/agencies?limit=200').then(
        (page) => setAgencies(page.agencies),
        () => setAgencies([]),
      );
  }, [user.platformAdmin]);
  const toggle = (role: Role): void =>
    setRoles((current) => (current.includes(role) ? current.filter((r) => r !== role) : [...current, role]));
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    try {
      const created = await api.post<ManagedUser & { initialPassword?: string }>('/users', {
        username: username.trim().toLowerCase(),
        displayName: displayName.trim(),
        roles,
        ...(user.platformAdmin && agencyCode ? { agencyCode } : {}),
        ...(timeZone.trim() ? { timeZone: timeZone.trim() } : {}),
      });
      onCreated(created, created.initialPassword ?? null);
    } catch (failure) {
      if (failure instanceof ApiProblem) setProblem(failure.problem);
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="new-user-title">
      <h3 id="new-user-title">New user</h3>
      <p className="muted">
        A temporary password is generated and shown once; the person chooses their own at first sign-in.
      </p>
      <ProblemBanner problem={problem} fields={['username', 'displayName', 'roles', 'agencyCode', 'timeZone']} />
      <div className="grid">
        <Field
          label="Username"
          name="username"
          problem={problem}
          hint="3–64 letters, digits, “.”, “-” or “_”, e.g. ana.garcia"
        >
          {(attributes) => (
            <input
              {...attributes}
              required
              autoFocus
              autoComplete="off"
              value={username}
              onChange={(event) => setUsername(event.target.value)}
            />
          )}
        </Field>
        <Field label="Full name (printed on signatures)" name="displayName" problem={problem}>
          {(attributes) => (
            <input
              {...attributes}
              required
              value={displayName}
              onChange={(event) => setDisplayName(event.target.value)}
            />
          )}
        </Field>
        {user.platformAdmin && (
          <Field label="Agency" name="agencyCode" problem={problem}>
            {(attributes) => (
              <select {...attributes} value={agencyCode} onChange={(event) => setAgencyCode(event.target.value)}>
                {agencies.map((agency) => (
                  <option key={agency.id} value={agency.code}>
                    {agency.code} — {agency.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field
          label="Time zone of their tools (optional)"
          name="timeZone"
          problem={problem}
          hint="IANA name, e.g. Europe/Madrid: used to read local times in imported acquisition logs"
        >
          {(attributes) => (
            <input
              {...attributes}
              list="time-zones"
              value={timeZone}
              onChange={(event) => setTimeZone(event.target.value)}
            />
          )}
        </Field>
      </div>
      <datalist id="time-zones">
        {[
          'Europe/Madrid',
          'Europe/Lisbon',
          'Europe/London',
          'America/Argentina/Buenos_Aires',
          'America/Mexico_City',
          'America/Bogota',
          'UTC',
        ].map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      <fieldset className="roles">
        <legend>Roles (choose at least one)</legend>
        {ROLES.map((role) => (
          <label key={role} className="check-label">
            <input type="checkbox" checked={roles.includes(role)} onChange={() => toggle(role)} /> {role}
          </label>
        ))}
        <FieldMessages problem={problem} field="roles" />
      </fieldset>
      <FormActions submit="Create user" disabled={roles.length === 0} onCancel={onCancel} />
    </form>
  );
}

function FieldMessages({ problem, field }: { problem: Problem | null; field: string }): ReactNode {
  const errors = problem?.errors?.filter((error) => error.field === field || error.field.startsWith(`${field}[`)) ?? [];
  if (errors.length === 0) return null;
  return (
    <small className="error" role="alert">
      {errors.flatMap((error) => error.messages).join(' ')}
    </small>
  );
}

function ResetPasswordForm({
  target,
  onDone,
  onCancel,
}: {
  target: ManagedUser;
  onDone: (password: string) => void;
  onCancel: () => void;
}): ReactNode {
  const [password, setPassword] = useState(temporaryPassword);
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    try {
      await api.post(`/users/${target.id}/password`, { password });
      onDone(password);
    } catch (failure) {
      if (failure instanceof ApiProblem) setProblem(failure.problem);
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="reset-title">
      <h3 id="reset-title">
        Reset the password of {target.displayName} ({target.username})
      </h3>
      <p className="muted">
        Their sessions end now; they must choose their own password at next sign-in, before acting or signing.
      </p>
      <ProblemBanner problem={problem} fields={['newPassword', 'password']} />
      <div className="grid">
        <Field
          label="Temporary password"
          name="newPassword"
          problem={problem}
          hint="Generated for you; change it if you must"
        >
          {(attributes) => (
            <input
              {...attributes}
              className="mono"
              required
              autoFocus
              autoComplete="off"
              spellCheck={false}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          )}
        </Field>
      </div>
      <FormActions submit="Set temporary password" onCancel={onCancel}>
        <button type="button" className="quiet" onClick={() => setPassword(temporaryPassword())}>
          Generate another
        </button>
      </FormActions>
    </form>
  );
}

function Agencies({ user }: { user: User }): ReactNode {
  const agencies = useLoad<{ agencies: Agency[] }>('/agencies?limit=200');
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [country, setCountry] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    try {
      const created = await api.post<Agency>('/agencies', {
        code: code.trim().toUpperCase(),
        name: name.trim(),
        country: country.trim().toUpperCase(),
      });
      setNotice(`Agency ${created.code} created: create its first administrator under Users.`);
      setCode('');
      setName('');
      setCountry('');
      agencies.reload();
    } catch (failure) {
      if (failure instanceof ApiProblem) setProblem(failure.problem);
    }
  };
  return (
    <>
      <h2>Agencies</h2>
      {notice && <Notice>{notice}</Notice>}
      {agencies.error && <div className="banner error">{agencies.error}</div>}
      {agencies.data && (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Name</th>
              <th scope="col">Country</th>
            </tr>
          </thead>
          <tbody>
            {agencies.data.agencies.map((agency) => (
              <tr key={agency.id}>
                <td className="mono">{agency.code}</td>
                <td>{agency.name}</td>
                <td>{agency.country}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {user.platformAdmin && (
        <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="new-agency-title">
          <h3 id="new-agency-title">New agency</h3>
          <ProblemBanner problem={problem} fields={['code', 'name', 'country']} />
          <div className="grid">
            <Field label="Code" name="code" problem={problem} hint="Country letters, then its parts: ES-PN, AR-PFA">
              {(attributes) => (
                <input
                  {...attributes}
                  required
                  className="mono"
                  value={code}
                  onChange={(event) => setCode(event.target.value)}
                />
              )}
            </Field>
            <Field label="Name" name="name" problem={problem}>
              {(attributes) => (
                <input {...attributes} required value={name} onChange={(event) => setName(event.target.value)} />
              )}
            </Field>
            <Field label="Country" name="country" problem={problem} hint="Two letters (ISO 3166), e.g. ES">
              {(attributes) => (
                <input
                  {...attributes}
                  required
                  maxLength={2}
                  value={country}
                  onChange={(event) => setCountry(event.target.value)}
                />
              )}
            </Field>
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              Create agency
            </button>
          </div>
        </form>
      )}
    </>
  );
}

/** What each access-log event means, in words (the code stays beside it: it is what exports and the API carry). */
const EVENT_WORDS: Readonly<Record<AccessLogEvent, string>> = {
  'auth.login': 'Sign-in',
  'auth.lockout': 'Account locked after failed sign-ins',
  'auth.login_throttled': 'Sign-in slowed down (too many attempts)',
  'auth.logout': 'Log-out',
  'auth.refresh': 'Session renewed',
  'auth.refresh_reuse': 'Old session token reused (sessions ended)',
  'auth.token_rejected': 'Expired or invalid token refused',
  'auth.password_change': 'Own password changed',
  'auth.access_denied': 'Refused: role not allowed',
  'user.create': 'User created',
  'user.update': 'User changed',
  'user.roles_change': 'User’s roles changed',
  'user.disable': 'User disabled',
  'user.enable': 'User enabled',
  'user.password_reset': 'Password reset by an administrator',
  'agency.create': 'Agency created',
  'agency.update': 'Agency changed',
  'case.create': 'Case opened',
  'case.read': 'Case read',
  'case.access_denied': 'Refused: case not shared with them',
  'case.share': 'Case shared',
  'case.share_revoke': 'Case share revoked',
  'case.close': 'Case closed',
  'case.reopen': 'Case reopened',
  'signature.sign': 'Electronic signature',
  'access_log.read': 'Access log read',
  'custody_history.read': 'Custody timeline read',
  'bundle.read': 'Verifiable bundle downloaded',
  'report.read': 'Court report downloaded',
  'ledger.verify': 'Whole ledger verified',
  'ledger.integrity_alarm': 'Ledger integrity alarm',
  'ledger.witness_refused': 'Ledger witness refused a checkpoint',
};

const eventWords = (event: string): string => EVENT_WORDS[event as AccessLogEvent] ?? event;

function AccessLog(): ReactNode {
  const [filter, setFilter] = useState({ event: '', username: '', outcome: '', from: '', to: '' });
  const [applied, setApplied] = useState('');
  const { data, error } = useLoad<{ entries: AccessLogEntry[] }>(`/access-log?limit=100${applied}`);
  const apply = (event: FormEvent): void => {
    event.preventDefault();
    setApplied(
      Object.entries(filter)
        .filter(([, value]) => value.trim() !== '')
        .map(
          ([name, value]) =>
            `&${name}=${encodeURIComponent(name === 'from' || name === 'to' ? withLocalOffset(value) : value.trim().toLowerCase())}`,
        )
        .join(''),
    );
  };
  return (
    <>
      <h2>Access log</h2>
      <form className="filters" onSubmit={apply} aria-label="Access log filters">
        <label>
          Event{' '}
          <select value={filter.event} onChange={(event) => setFilter({ ...filter, event: event.target.value })}>
            <option value="">any</option>
            {ACCESS_LOG_EVENTS.map((name) => (
              <option key={name} value={name}>
                {eventWords(name)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Username{' '}
          <input value={filter.username} onChange={(event) => setFilter({ ...filter, username: event.target.value })} />
        </label>
        <label>
          Outcome{' '}
          <select value={filter.outcome} onChange={(event) => setFilter({ ...filter, outcome: event.target.value })}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
            <option value="denied">denied</option>
          </select>
        </label>
        <label>
          From{' '}
          <input
            type="datetime-local"
            value={filter.from}
            onChange={(event) => setFilter({ ...filter, from: event.target.value })}
          />
        </label>
        <label>
          To{' '}
          <input
            type="datetime-local"
            value={filter.to}
            onChange={(event) => setFilter({ ...filter, to: event.target.value })}
          />
        </label>
        <button type="submit">Filter</button>
        <small className="hint">From and To are your local time (UTC{localOffset(localNow())})</small>
      </form>
      {error && <div className="banner error">{error}</div>}
      {!data && !error && <Loading />}
      {data && (
        <table className="list compact" aria-label="Access log entries">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Outcome</th>
              <th scope="col">Who</th>
              <th scope="col">Subject</th>
            </tr>
          </thead>
          <tbody>
            {data.entries.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  Nothing matches these filters.
                </td>
              </tr>
            )}
            {data.entries.map((entry) => (
              <tr key={entry.id} className={entry.outcome === 'success' ? undefined : 'row-bad'}>
                <td>{localTime(entry.occurredAt)}</td>
                <td>
                  {eventWords(entry.event)}
                  <br />
                  <small className="mono muted">{entry.event}</small>
                </td>
                <td>{entry.outcome}</td>
                <td>{entry.actor.username ?? '—'}</td>
                <td>
                  {entry.subject ? `${entry.subject.type} ${entry.subject.label ?? ''}` : '—'}
                  {entry.event === 'signature.sign' && typeof entry.details?.meaning === 'string' && (
                    <>
                      <br />
                      <small className="muted">signed “{entry.details.meaning}”</small>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
