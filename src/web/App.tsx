import { lazy, Suspense, useEffect, useRef, useState, type FormEvent, type MouseEvent, type ReactNode } from 'react';

import { api, ApiProblem, logout, onSessionChange, plainWords, resumeSession } from './api';
import { IntegrityBanner } from './IntegrityBanner';
import { match, navigate, useLocation } from './router';
import { CaseScreen } from './screens/CaseScreen';
import { CasesScreen } from './screens/CasesScreen';
import { ChangePasswordScreen } from './screens/ChangePasswordScreen';
import { InboxScreen } from './screens/InboxScreen';
import { ItemScreen } from './screens/ItemScreen';
import { ItemsScreen } from './screens/ItemsScreen';
import { LoginScreen } from './screens/LoginScreen';
import type { ItemView, Role, User } from './types';
import { Loading, Logo } from './ui';

// Screens a role may never open load on first use, in their own script files (still same-origin: CSP `script-src 'self'`):
// administration and audit, and the seizure form (officers only).
const AdminScreen = lazy(() => import('./screens/AdminScreen').then((module) => ({ default: module.AdminScreen })));
const SeizureScreen = lazy(() =>
  import('./screens/SeizureScreen').then((module) => ({ default: module.SeizureScreen })),
);

interface NavEntry {
  readonly path: string;
  readonly label: string;
  readonly roles: readonly Role[];
}

/** What each role's day starts with: officers their cases, the property room and lab their inbox. */
const NAV: readonly NavEntry[] = [
  { path: '/inbox', label: 'Inbox', roles: ['clerk', 'examiner', 'officer', 'prosecutor'] },
  { path: '/cases', label: 'Cases', roles: ['officer', 'clerk', 'examiner', 'prosecutor', 'auditor'] },
  { path: '/mine', label: 'Items I hold', roles: ['officer', 'clerk', 'examiner', 'prosecutor'] },
  { path: '/admin', label: 'Administration', roles: ['admin'] },
  { path: '/admin', label: 'Audit', roles: ['auditor'] },
];

export function homeOf(user: User): string {
  if (user.roles.includes('admin')) return '/admin';
  // An auditor's day is the audit screen, unless they also do custody work.
  if (user.roles.includes('auditor') && user.roles.every((role) => role === 'auditor')) return '/admin';
  if (user.roles.includes('clerk') || user.roles.includes('examiner')) return '/inbox';
  return '/cases';
}

export function App(): ReactNode {
  const [user, setUser] = useState<User | null>(null);
  const [starting, setStarting] = useState(true);
  const { path, query } = useLocation();

  useEffect(() => {
    const stop = onSessionChange(setUser);
    void resumeSession().then((resumed) => {
      setUser(resumed);
      setStarting(false);
    });
    return () => {
      stop();
    };
  }, []);

  if (starting) return <main className="centre muted">Starting…</main>;
  if (user === null)
    return (
      <LoginScreen onLoggedIn={(loggedIn) => navigate(path === '/' || path === '/login' ? homeOf(loggedIn) : path)} />
    );
  if (user.mustChangePassword) return <ChangePasswordScreen user={user} forced />;

  return (
    <Shell user={user} path={path}>
      <Suspense fallback={<Loading />}>
        <Route user={user} path={path} query={query} />
      </Suspense>
    </Shell>
  );
}

function Route({ user, path, query }: { user: User; path: string; query: URLSearchParams }): ReactNode {
  let params: Record<string, string> | null;
  if (path === '/' || path === '/login') return <Redirect to={homeOf(user)} />;
  if (path === '/cases') return <CasesScreen user={user} />;
  if ((params = match('/cases/:id/seize', path))) return <SeizureScreen user={user} caseId={params.id} />;
  if ((params = match('/cases/:id', path))) return <CaseScreen user={user} caseId={params.id} />;
  if ((params = match('/items/:id', path))) return <ItemScreen user={user} itemId={params.id} />;
  if (path === '/inbox') return <InboxScreen user={user} />;
  if (path === '/mine')
    return (
      <ItemsScreen
        title="Items I hold"
        query="custodian=me"
        empty="You hold no items right now. Items handed to you wait in your Inbox until you sign for them."
      />
    );
  if (path === '/search')
    return (
      <ItemsScreen
        title={`Items matching “${query.get('q') ?? ''}”`}
        query={`q=${encodeURIComponent(query.get('q') ?? '')}`}
      />
    );
  if (path === '/password') return <ChangePasswordScreen user={user} forced={false} />;
  if (path === '/admin') return <AdminScreen user={user} />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href="/" onClick={link('/')}>
          Back to the start
        </a>
      </p>
    </section>
  );
}

function Redirect({ to }: { to: string }): ReactNode {
  useEffect(() => {
    navigate(to, { replace: true });
  }, [to]);
  return null;
}

/** An anchor that navigates inside the app (and still opens in a new tab with a modifier key). */
export function link(path: string) {
  return (event: MouseEvent<HTMLAnchorElement>): void => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(path);
  };
}

export function AppLink({
  to,
  children,
  className,
}: {
  to: string;
  children: ReactNode;
  className?: string;
}): ReactNode {
  return (
    <a href={to} onClick={link(to)} className={className}>
      {children}
    </a>
  );
}

function Shell({ user, path, children }: { user: User; path: string; children: ReactNode }): ReactNode {
  const entries = NAV.filter((entry) => entry.roles.some((role) => user.roles.includes(role))).filter(
    (entry, n, all) => all.findIndex((other) => other.path === entry.path) === n,
  );
  const canSearch = !user.roles.includes('admin');
  const main = useRef<HTMLElement>(null);
  const waiting = useWaitingCount(user, path);
  // A new screen: if the link or button that led here is gone, the keyboard starts at the content, not at the
  // top of the page (a field the screen focuses itself, or the find box after a scan, keeps the focus).
  useEffect(() => {
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (lost) main.current?.focus({ preventScroll: true });
  }, [path]);
  return (
    <>
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <Logo /> Custos
        </div>
        <nav aria-label="Main">
          <ul>
            {entries.map((entry) => (
              <li key={entry.path}>
                <a
                  href={entry.path}
                  onClick={link(entry.path)}
                  aria-current={path.startsWith(entry.path) ? 'page' : undefined}
                >
                  {entry.label}
                  {entry.path === '/inbox' && waiting > 0 && (
                    <span className="nav-count">
                      {' '}
                      {waiting}
                      <span className="visually-hidden"> waiting for your signature</span>
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {canSearch && <FindBox />}
        <div className="who">
          <span>
            <strong>{user.displayName}</strong>
            <br />
            <small>
              {user.roles.join(', ')}
              {user.agency ? ` · ${user.agency.code}` : ''}
            </small>
          </span>
          <a href="/password" onClick={link('/password')} className="quiet">
            Password
          </a>
          <button type="button" className="quiet" onClick={() => void logout().then(() => navigate('/'))}>
            Log out
          </button>
        </div>
      </header>
      <main id="content" tabIndex={-1} ref={main}>
        <IntegrityBanner roles={user.roles} />
        {children}
      </main>
    </>
  );
}

/** The inbox changed (a transfer signed, rejected or cancelled): the top bar counts again. */
export const INBOX_CHANGED = 'custos:inbox-changed';

/**
 * Transfers waiting for my signature, shown on the Inbox link on every screen: an officer or
 * prosecutor, whose day starts elsewhere, sees at once that someone is handing them items.
 */
function useWaitingCount(user: User, path: string): number {
  const [waiting, setWaiting] = useState(0);
  const custody = user.roles.some(
    (role) => role === 'officer' || role === 'clerk' || role === 'examiner' || role === 'prosecutor',
  );
  useEffect(() => {
    if (!custody) return;
    let current = true;
    const count = (): void => {
      api.get<{ transfers: unknown[] }>('/transfers?direction=incoming&status=pending&limit=100').then(
        ({ transfers }) => {
          if (current) setWaiting(transfers.length);
        },
        () => undefined, // Only a hint: the Inbox screen itself says what failed.
      );
    };
    count();
    window.addEventListener(INBOX_CHANGED, count);
    return () => {
      current = false;
      window.removeEventListener(INBOX_CHANGED, count);
    };
  }, [custody, path]);
  return waiting;
}

/** Scan-to-find: a barcode scanner types the item number and Enter into this box. */
function FindBox(): ReactNode {
  const [text, setText] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const q = text.trim();
    if (q === '') return;
    setMessage(null);
    try {
      const { items } = await api.get<{ items: ItemView[] }>(`/items?q=${encodeURIComponent(q)}&limit=20`);
      if (items.length === 1) {
        setText('');
        navigate(`/items/${items[0].id}`);
      } else if (items.length === 0) setMessage(`No item matches “${q}”`);
      else navigate(`/search?q=${encodeURIComponent(q)}`);
    } catch (error) {
      setMessage(error instanceof ApiProblem ? plainWords(error.problem) : 'The search failed');
    }
  };
  return (
    <form role="search" className="find" onSubmit={(event) => void submit(event)}>
      <label htmlFor="find-item" className="visually-hidden">
        Find an item: type or scan its number, serial, seal, IMEI or ICCID
      </label>
      <input
        id="find-item"
        type="search"
        placeholder="Scan or type item no., seal, IMEI…"
        value={text}
        onChange={(event) => setText(event.target.value)}
        aria-describedby={message ? 'find-message' : undefined}
      />
      <button type="submit">Find</button>
      {message && (
        <span id="find-message" className="find-message" role="status">
          {message}
        </span>
      )}
    </form>
  );
}
