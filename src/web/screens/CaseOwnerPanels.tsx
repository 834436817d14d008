import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';

import { api, ApiProblem, plainWords } from '../api';
import { localTime } from '../evidence';
import type { Agency, CaseView, Problem, ShareView } from '../types';
import { Field, FormActions, Notice, ProblemBanner } from '../ui';

/**
 * What the agency that owns a case does with it besides custody (docs/custody.md "Closing a case",
 * docs/access-control.md): share it with another agency or one person of another agency, revoke
 * shares, close and reopen it with a reason. The API decides who may (officers of the owning agency);
 * these panels are only shown to them.
 */
export function SharesPanel({ kase, canManage }: { kase: CaseView; canManage: boolean }): ReactNode {
  const [shares, setShares] = useState<ShareView[] | null>(null);
  const [agencies, setAgencies] = useState<Agency[]>([]);
  const [grantee, setGrantee] = useState<'agency' | 'user'>('agency');
  const [agencyCode, setAgencyCode] = useState('');
  const [username, setUsername] = useState('');
  const [access, setAccess] = useState<'read' | 'contribute'>('read');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setShares((await api.get<{ shares: ShareView[] }>(`/cases/${kase.id}/shares`)).shares);
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load the shares');
    }
  }, [kase.id]);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!canManage) return;
    api.get<{ agencies: Agency[] }>('/agencies?limit=200').then(
      (page) => setAgencies(page.agencies.filter((agency) => agency.id !== kase.agency.id)),
      () => setAgencies([]),
    );
  }, [canManage, kase.agency.id]);

  const share = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    setNotice(null);
    try {
      const created = await api.post<ShareView>(
        `/cases/${kase.id}/shares`,
        grantee === 'agency' ? { agencyCode, access } : { username: username.trim().toLowerCase(), access },
      );
      setNotice(`Shared with ${granteeName(created)} (${accessWords(created.access)}).`);
      setUsername('');
      void load();
    } catch (failure) {
      if (failure instanceof ApiProblem) setProblem(failure.problem);
    }
  };
  const revoke = async (target: ShareView): Promise<void> => {
    if (!window.confirm(`Revoke the share with ${granteeName(target)}? They lose access to the case at once.`)) return;
    setError(null);
    setNotice(null);
    try {
      await api.delete<ShareView>(`/cases/${kase.id}/shares/${target.id}`);
      setNotice(`The share with ${granteeName(target)} was revoked.`);
      void load();
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'The share was not revoked');
    }
  };

  const active = shares?.filter((entry) => entry.status === 'active') ?? [];
  return (
    <section className="card" aria-labelledby="shares-title">
      <h2 id="shares-title">Shared with</h2>
      {notice && <Notice>{notice}</Notice>}
      {error && <div className="banner error">{error}</div>}
      {shares !== null && (
        <table className="list compact">
          <thead>
            <tr>
              <th scope="col">Agency or person</th>
              <th scope="col">Access</th>
              <th scope="col">Granted</th>
              <th scope="col">Status</th>
              {canManage && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {shares.length === 0 && (
              <tr>
                <td colSpan={canManage ? 5 : 4} className="muted">
                  Not shared: only {kase.agency.code} sees this case.
                </td>
              </tr>
            )}
            {shares.map((entry) => (
              <tr key={entry.id} className={entry.status === 'revoked' ? 'row-muted' : undefined}>
                <td>{granteeName(entry)}</td>
                <td>{accessWords(entry.access)}</td>
                <td>
                  {localTime(entry.grantedAt)} by {entry.grantedBy}
                </td>
                <td>
                  {entry.status === 'active' ? (
                    <span className="badge ok">active</span>
                  ) : (
                    <span className="badge">revoked {localTime(entry.revokedAt)}</span>
                  )}
                </td>
                {canManage && (
                  <td>
                    {entry.status === 'active' && (
                      <button
                        type="button"
                        className="quiet"
                        onClick={() => void revoke(entry)}
                        aria-label={`Revoke the share with ${granteeName(entry)}`}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canManage && (
        <form onSubmit={(event) => void share(event)} aria-label="Share the case">
          <h3>Share this case</h3>
          <p className="muted">
            Read-only lets them see everything and download the reports; contributor also lets them receive items, hash
            them and hand them on. {active.length} active share
            {active.length === 1 ? '' : 's'}.
          </p>
          <ProblemBanner problem={problem} fields={['agencyCode', 'username', 'access']} />
          <div className="grid">
            <Field label="Share with">
              {(attributes) => (
                <select
                  {...attributes}
                  value={grantee}
                  onChange={(event) => setGrantee(event.target.value as 'agency' | 'user')}
                >
                  <option value="agency">every user of an agency</option>
                  <option value="user">one person of another agency</option>
                </select>
              )}
            </Field>
            {grantee === 'agency' ? (
              <Field label="Agency" name="agencyCode" problem={problem}>
                {(attributes) => (
                  <select
                    {...attributes}
                    required
                    value={agencyCode}
                    onChange={(event) => setAgencyCode(event.target.value)}
                  >
                    <option value="">— choose —</option>
                    {agencies.map((agency) => (
                      <option key={agency.id} value={agency.code}>
                        {agency.code} — {agency.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            ) : (
              <Field label="Their username" name="username" problem={problem} hint="e.g. a prosecutor: fiscal.rivas">
                {(attributes) => (
                  <input
                    {...attributes}
                    required
                    autoComplete="off"
                    value={username}
                    onChange={(event) => setUsername(event.target.value)}
                  />
                )}
              </Field>
            )}
            <Field label="Access" name="access" problem={problem}>
              {(attributes) => (
                <select
                  {...attributes}
                  value={access}
                  onChange={(event) => setAccess(event.target.value as 'read' | 'contribute')}
                >
                  <option value="read">read only</option>
                  <option value="contribute">contributor (custody)</option>
                </select>
              )}
            </Field>
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              Share
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** Close (no new items; custody goes on) or reopen, with the reason on the record. */
export function CaseStatusPanel({
  kase,
  onChanged,
  onCancel,
}: {
  kase: CaseView;
  onChanged: (changed: CaseView) => void;
  onCancel: () => void;
}): ReactNode {
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const closing = kase.status === 'open';
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    try {
      const changed = await api.post<CaseView>(`/cases/${kase.id}/${closing ? 'close' : 'reopen'}`, { reason });
      onChanged(changed);
    } catch (failure) {
      if (failure instanceof ApiProblem) setProblem(failure.problem);
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="status-title">
      <h2 id="status-title">{closing ? `Close case ${kase.caseNumber}` : `Reopen case ${kase.caseNumber}`}</h2>
      <p className="muted">
        {closing
          ? 'A closed case takes no new seizures or images. Custody goes on: its items can still be handed over, verified, moved and disposed of.'
          : 'Reopening lets officers register new seizures in it again.'}
      </p>
      <ProblemBanner problem={problem} fields={['reason']} />
      <Field
        label={closing ? 'Why is it closed?' : 'Why is it reopened?'}
        name="reason"
        problem={problem}
        hint="For the record: it is kept in the ledger and shown in reports."
        wide
      >
        {(attributes) => (
          <textarea
            {...attributes}
            required
            autoFocus
            rows={3}
            maxLength={1000}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
          />
        )}
      </Field>
      <FormActions
        submit={closing ? 'Close the case' : 'Reopen the case'}
        tone={closing ? 'danger' : 'primary'}
        onCancel={onCancel}
      />
    </form>
  );
}

export function granteeName(share: ShareView): string {
  return share.grantee.type === 'agency'
    ? `${share.grantee.agency.code} — ${share.grantee.agency.name}`
    : `${share.grantee.user.displayName} (${share.grantee.user.username}${share.grantee.user.agencyCode ? `, ${share.grantee.user.agencyCode}` : ''})`;
}

const accessWords = (access: 'read' | 'contribute'): string => (access === 'read' ? 'read only' : 'contributor');
