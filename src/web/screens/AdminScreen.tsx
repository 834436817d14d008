import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiProblem, api, plainWords } from '../api';
import { localTime } from '../evidence';
import type { Agency, User } from '../types';
import { Loading } from '../ui';

interface Checkpoint {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly createdAt: string;
}

interface AccessLogEntry {
  readonly id: string;
  readonly occurredAt: string;
  readonly event: string;
  readonly outcome: string;
  readonly actor: { readonly username: string | null };
  readonly subject: { readonly type: string; readonly label: string | null } | null;
}

/**
 * A first administration view (read-only in this version): users and agencies for administrators,
 * the access log with filters for auditors, and the ledger's latest signed checkpoint for both.
 */
export function AdminScreen({ user }: { user: User }): ReactNode {
  const admin = user.roles.includes('admin');
  return (
    <section>
      <h1>{admin ? 'Administration' : 'Audit'}</h1>
      <LedgerStatus />
      {admin && <UsersAndAgencies />}
      {user.roles.includes('auditor') && <AccessLog />}
      {admin && user.platformAdmin && <AccessLog />}
    </section>
  );
}

function useLoad<T>(path: string): { data: T | null; error: string | null } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setData(null);
    api.get<T>(path).then(setData, (failure: unknown) => setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load'));
  }, [path]);
  return { data, error };
}

function LedgerStatus(): ReactNode {
  const { data, error } = useLoad<Checkpoint>('/ledger/checkpoint');
  return (
    <div className="card">
      <h2>Ledger</h2>
      {error && <p className="muted">No signed checkpoint yet ({error}).</p>}
      {data && (
        <dl className="facts">
          <dt>Latest checkpoint</dt>
          <dd>{localTime(data.createdAt)}</dd>
          <dt>Entries covered</dt>
          <dd>{data.treeSize}</dd>
          <dt>Root hash</dt>
          <dd className="mono hash">{data.rootHash}</dd>
          <dt>Log</dt>
          <dd>{data.origin}</dd>
        </dl>
      )}
      <p className="muted">Full verification runs with <code>custos ledger verify</code> on the server.</p>
    </div>
  );
}

function UsersAndAgencies(): ReactNode {
  const users = useLoad<{ users: Array<User & { active: boolean; lastLoginAt: string | null }> }>('/users?limit=200');
  const agencies = useLoad<{ agencies: Agency[] }>('/agencies?limit=200');
  return (
    <>
      <h2>Users</h2>
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
              <th scope="col">Last login</th>
            </tr>
          </thead>
          <tbody>
            {users.data.users.map((row) => (
              <tr key={row.id}>
                <td className="mono">{row.username}</td>
                <td>{row.displayName}</td>
                <td>{row.agency?.code ?? 'platform'}</td>
                <td>{row.roles.join(', ')}</td>
                <td>{row.active ? (row.mustChangePassword ? 'must change password' : 'active') : 'disabled'}</td>
                <td>{localTime(row.lastLoginAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Agencies</h2>
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
    </>
  );
}

function AccessLog(): ReactNode {
  const [filter, setFilter] = useState({ event: '', username: '', outcome: '' });
  const [applied, setApplied] = useState('');
  const { data, error } = useLoad<{ entries: AccessLogEntry[] }>(`/access-log?limit=100${applied}`);
  const apply = (event: FormEvent): void => {
    event.preventDefault();
    setApplied(
      Object.entries(filter)
        .filter(([, value]) => value.trim() !== '')
        .map(([name, value]) => `&${name}=${encodeURIComponent(value.trim())}`)
        .join(''),
    );
  };
  return (
    <>
      <h2>Access log</h2>
      <form className="filters" onSubmit={apply} aria-label="Access log filters">
        <label>
          Event <input value={filter.event} placeholder="e.g. auth.login" onChange={(event) => setFilter({ ...filter, event: event.target.value })} />
        </label>
        <label>
          Username <input value={filter.username} onChange={(event) => setFilter({ ...filter, username: event.target.value })} />
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
        <button type="submit">Filter</button>
      </form>
      {error && <div className="banner error">{error}</div>}
      {data && (
        <table className="list compact">
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
            {data.entries.map((entry) => (
              <tr key={entry.id} className={entry.outcome === 'success' ? undefined : 'row-bad'}>
                <td>{localTime(entry.occurredAt)}</td>
                <td className="mono">{entry.event}</td>
                <td>{entry.outcome}</td>
                <td>{entry.actor.username ?? '—'}</td>
                <td>{entry.subject ? `${entry.subject.type} ${entry.subject.label ?? ''}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
