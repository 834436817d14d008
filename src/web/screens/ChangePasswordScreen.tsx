import { useState, type FormEvent, type ReactNode } from 'react';

import { api, ApiProblem, logout, updateUser } from '../api';
import { navigate } from '../router';
import type { Problem, User } from '../types';
import { Field, Notice, ProblemBanner } from '../ui';

/** Also the forced screen: until a reset or first password is replaced, the API allows nothing else. */
export function ChangePasswordScreen({ user, forced }: { user: User; forced: boolean }): ReactNode {
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [done, setDone] = useState(false);
  const mismatch = repeat !== '' && repeat !== newPassword;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (mismatch) return;
    setProblem(null);
    try {
      const updated = await api.post<User>('/auth/password', { currentPassword, newPassword });
      setDone(true);
      setCurrent('');
      setNew('');
      setRepeat('');
      updateUser(updated);
      if (forced) navigate('/');
    } catch (error) {
      if (error instanceof ApiProblem) setProblem(error.problem);
    }
  };

  const form = (
    <form className="card narrow" onSubmit={(event) => void submit(event)} aria-labelledby="password-title">
      <h1 id="password-title">{forced ? 'Choose your own password' : 'Change your password'}</h1>
      {forced && (
        <p>
          Welcome, {user.displayName}. Your password was set by an administrator: choose one only you know before you
          continue. Nobody else can sign for you with it.
        </p>
      )}
      {done && <Notice>Your password was changed. Your other sessions were ended.</Notice>}
      <ProblemBanner problem={problem} fields={['currentPassword', 'newPassword']} />
      <Field
        label="Current password"
        name="currentPassword"
        problem={problem}
        hint={forced ? 'The temporary password you just signed in with' : undefined}
      >
        {(attributes) => (
          <input
            {...attributes}
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            value={currentPassword}
            onChange={(event) => setCurrent(event.target.value)}
          />
        )}
      </Field>
      <Field
        label="New password"
        name="newPassword"
        problem={problem}
        hint="At least 12 characters; not a common password and not your username."
      >
        {(attributes) => (
          <input
            {...attributes}
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            value={newPassword}
            onChange={(event) => {
              setNew(event.target.value);
              // The server's verdict was on the password that was there: a new one has not been judged yet.
              if (problem !== null && problem.code !== 'current_password_invalid') setProblem(null);
            }}
          />
        )}
      </Field>
      <Field label="New password again" messages={mismatch ? ['The two new passwords differ.'] : []}>
        {(attributes) => (
          <input
            {...attributes}
            type="password"
            autoComplete="new-password"
            required
            value={repeat}
            onChange={(event) => setRepeat(event.target.value)}
          />
        )}
      </Field>
      <div className="actions">
        <button type="submit" className="primary">
          Change password
        </button>
        {forced && (
          <button type="button" className="quiet" onClick={() => void logout()}>
            Log out
          </button>
        )}
      </div>
    </form>
  );
  return forced ? <main className="login">{form}</main> : form;
}
