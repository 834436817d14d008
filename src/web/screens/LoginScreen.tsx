import { useState, type FormEvent, type ReactNode } from 'react';

import { ApiProblem, login } from '../api';
import type { Problem, User } from '../types';
import { Field, Logo, ProblemBanner } from '../ui';

export function LoginScreen({ onLoggedIn }: { onLoggedIn: (user: User) => void }): ReactNode {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      onLoggedIn(await login(username.trim(), password));
    } catch (error) {
      setProblem(
        error instanceof ApiProblem
          ? error.problem
          : { status: 0, code: 'network', title: 'Offline', detail: 'The server cannot be reached.' },
      );
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="card narrow" onSubmit={(event) => void submit(event)} aria-labelledby="login-title">
        <h1 id="login-title">
          <Logo /> Custos
        </h1>
        <p className="muted">Evidence chain of custody. Sign in with your agency account.</p>
        <ProblemBanner problem={problem} fields={['username', 'password']} />
        <Field label="Username" name="username" problem={problem}>
          {(attributes) => (
            <input
              {...attributes}
              autoComplete="username"
              autoFocus
              required
              value={username}
              onChange={(event) => setUsername(event.target.value)}
            />
          )}
        </Field>
        <Field label="Password" name="password" problem={problem}>
          {(attributes) => (
            <input
              {...attributes}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
