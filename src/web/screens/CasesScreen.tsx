import { useEffect, useState, type FormEvent, type ReactNode } from 'react';

import { api, ApiProblem, plainWords } from '../api';
import { AppLink } from '../App';
import { localTime } from '../evidence';
import { navigate } from '../router';
import type { CaseListEntry, CaseView, Problem, User } from '../types';
import { Field, FormActions, Loading, ProblemBanner } from '../ui';

export function CasesScreen({ user }: { user: User }): ReactNode {
  const [cases, setCases] = useState<CaseListEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const officer = user.roles.includes('officer');

  useEffect(() => {
    api.get<{ cases: CaseListEntry[] }>('/cases?limit=200').then(
      (page) => setCases(page.cases),
      (failure: unknown) =>
        setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load the cases'),
    );
  }, []);

  const own = cases?.filter((kase) => !kase.shared) ?? [];
  const shared = cases?.filter((kase) => kase.shared) ?? [];
  return (
    <section>
      <div className="page-head">
        <h1>Cases</h1>
        {officer && !creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New case
          </button>
        )}
      </div>
      {creating && <NewCase onCancel={() => setCreating(false)} />}
      {error && <div className="banner error">{error}</div>}
      {cases === null && !error && <Loading />}
      {cases !== null && (
        <>
          {(own.length > 0 || shared.length === 0) && (
            <CaseTable caption={`Cases of ${user.agency?.name ?? 'your agency'}`} cases={own} />
          )}
          {shared.length > 0 && <CaseTable caption="Shared with you by other agencies" cases={shared} />}
        </>
      )}
    </section>
  );
}

function CaseTable({ caption, cases }: { caption: string; cases: readonly CaseListEntry[] }): ReactNode {
  return (
    <table className="list">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Case number</th>
          <th scope="col">Title</th>
          <th scope="col">Agency</th>
          <th scope="col">Your access</th>
          <th scope="col">Status</th>
          <th scope="col">Items</th>
          <th scope="col">Opened</th>
        </tr>
      </thead>
      <tbody>
        {cases.length === 0 && (
          <tr>
            <td colSpan={7} className="muted">
              No cases yet.
            </td>
          </tr>
        )}
        {cases.map((kase) => (
          <tr key={kase.id}>
            <td>
              <AppLink to={`/cases/${kase.id}`}>
                <strong>{kase.caseNumber}</strong>
              </AppLink>
            </td>
            <td>{kase.title}</td>
            <td>{kase.agency.code}</td>
            <td>{kase.access === 'contribute' ? 'Contributor' : 'Read only'}</td>
            <td>
              {kase.status === 'open' ? (
                <span className="badge case-open">Open</span>
              ) : (
                <span className="badge case-closed">Closed</span>
              )}
            </td>
            <td>
              {kase.items.total}
              {kase.items.compromised > 0 && (
                <>
                  {' '}
                  <span className="badge bad">⚠ {kase.items.compromised} compromised</span>
                </>
              )}
            </td>
            <td>{localTime(kase.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NewCase({ onCancel }: { onCancel: () => void }): ReactNode {
  const [caseNumber, setCaseNumber] = useState('');
  const [title, setTitle] = useState('');
  const [authority, setAuthority] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(null);
    const legalAuthority = authority
      .split(/\n|;/)
      .map((line) => line.trim())
      .filter(Boolean);
    try {
      const created = await api.post<CaseView>('/cases', {
        caseNumber: caseNumber.trim(),
        title: title.trim(),
        ...(legalAuthority.length > 0 ? { legalAuthority } : {}),
      });
      navigate(`/cases/${created.id}`);
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
    }
  };

  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="new-case-title">
      <h2 id="new-case-title">Open a new case</h2>
      <ProblemBanner problem={problem} fields={['caseNumber', 'title', 'legalAuthority']} />
      <div className="grid">
        <Field label="Case number" name="caseNumber" problem={problem} hint="Unique in your agency, e.g. DIL-2026/0142">
          {(attributes) => (
            <input
              {...attributes}
              required
              autoFocus
              value={caseNumber}
              onChange={(event) => setCaseNumber(event.target.value)}
            />
          )}
        </Field>
        <Field label="Title or operation name" name="title" problem={problem}>
          {(attributes) => (
            <input {...attributes} required value={title} onChange={(event) => setTitle(event.target.value)} />
          )}
        </Field>
        <Field label="Warrants and orders" name="legalAuthority" problem={problem} hint="One per line" wide>
          {(attributes) => (
            <textarea
              {...attributes}
              rows={2}
              value={authority}
              onChange={(event) => setAuthority(event.target.value)}
            />
          )}
        </Field>
      </div>
      <FormActions submit="Open case" onCancel={onCancel} />
    </form>
  );
}
