import type { FieldProblem, Problem, SessionTokens, User } from './types';

/**
 * The one way the web app talks to the server: JSON to /api/v1 with the access token. The access
 * token lives in memory only; the single-use refresh token in this tab's sessionStorage, so a
 * reload keeps the session but closing the tab ends it (ADR 0070). An expired access token is
 * refreshed once, transparently; a refused refresh ends the session in the app too.
 */
const REFRESH_KEY = 'custos.refreshToken';

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

interface SessionState {
  accessToken: string | null;
  user: User | null;
}

const session: SessionState = { accessToken: null, user: null };
const listeners = new Set<(user: User | null) => void>();
let refreshing: Promise<boolean> | null = null;

export function onSessionChange(listener: (user: User | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setSession(tokens: SessionTokens | null): void {
  session.accessToken = tokens?.accessToken ?? null;
  session.user = tokens?.user ?? null;
  if (tokens === null) sessionStorage.removeItem(REFRESH_KEY);
  else sessionStorage.setItem(REFRESH_KEY, tokens.refreshToken);
  for (const listener of listeners) listener(session.user);
}

export function currentUser(): User | null {
  return session.user;
}

export function updateUser(user: User): void {
  session.user = user;
  for (const listener of listeners) listener(user);
}

async function readProblem(response: Response): Promise<Problem> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    const body = (await response.json()) as Partial<Problem>;
    return {
      ...body,
      status: response.status,
      code: body.code ?? 'error',
      title: body.title ?? response.statusText,
      detail: body.detail ?? response.statusText,
    };
  }
  return {
    status: response.status,
    code: response.status >= 500 ? 'internal_error' : 'error',
    title: response.statusText,
    detail: `The server answered ${response.status}`,
  };
}

async function refresh(): Promise<boolean> {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (refreshToken === null) return false;
  refreshing ??= (async () => {
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refreshToken }),
      });
      if (!response.ok) {
        setSession(null);
        return false;
      }
      setSession((await response.json()) as SessionTokens);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Resumes the session of this tab after a reload, if its refresh token still works. */
export async function resumeSession(): Promise<User | null> {
  return (await refresh()) ? session.user : null;
}

async function send(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
  // One key per submitted form (ADR 0018): a retry after a token refresh reuses it, so a signed
  // write is never recorded twice; the service ignores it on unsigned requests.
  const idempotencyKey = method === 'POST' ? crypto.randomUUID() : undefined;
  const attempt = (): Promise<Response> =>
    fetch(`/api/v1${path}`, {
      method,
      headers: {
        Accept: accept,
        ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(session.accessToken === null ? {} : { Authorization: `Bearer ${session.accessToken}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let response = await attempt();
  if (response.status === 401 && session.accessToken !== null) {
    const problem = await readProblem(response.clone());
    if (problem.code === 'token_expired' && (await refresh())) response = await attempt();
    else if (problem.code === 'session_ended' || problem.code === 'token_invalid') setSession(null);
  }
  if (!response.ok) throw new ApiProblem(await readProblem(response));
  return response;
}

export const api = {
  async get<T>(path: string): Promise<T> {
    return (await (await send('GET', path)).json()) as T;
  },
  async post<T>(path: string, body: unknown): Promise<T> {
    const response = await send('POST', path, body);
    return (response.status === 204 ? undefined : await response.json()) as T;
  },
  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await (await send('PATCH', path, body)).json()) as T;
  },
  async delete<T>(path: string): Promise<T> {
    const response = await send('DELETE', path);
    return (response.status === 204 ? undefined : await response.json()) as T;
  },
  /** Fetches a file with the access token and hands it to the browser as a download. */
  async download(path: string, fallbackName: string): Promise<string> {
    const response = await send('GET', path, undefined, '*/*');
    const disposition = response.headers.get('content-disposition') ?? '';
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return name;
  },
};

export async function login(username: string, password: string): Promise<User> {
  const response = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new ApiProblem(await readProblem(response));
  const tokens = (await response.json()) as SessionTokens;
  setSession(tokens);
  return tokens.user;
}

export async function logout(): Promise<void> {
  try {
    if (session.accessToken !== null) await send('POST', '/auth/logout', {});
  } catch {
    // The session ends here whatever the server said: the tokens are forgotten below.
  }
  setSession(null);
}

/** Words a person understands for the problems people meet; anything else shows the server's detail. */
const PLAIN_WORDS: Record<string, string> = {
  invalid_credentials: 'Wrong username or password.',
  password_throttled: 'Too many wrong passwords from here: wait a little and try again.',
  login_rate_limited: 'Too many attempts from here: wait a moment and try again.',
  signature_password_invalid: 'That is not your password: the signature was not applied and nothing was saved.',
  current_password_invalid: 'Your current password is not right.',
  session_ended: 'Your session has ended. Please log in again.',
  not_custodian: 'You do not hold this item, so you cannot do that.',
  item_transfer_pending: 'An item is already in a pending transfer.',
  receiver_invalid:
    'That person cannot receive these items: check the username, or ask for the case to be shared with them first.',
  case_read_only: 'This case is shared with you read-only.',
  case_number_taken: 'Your agency already has a case with this number.',
  case_closed: 'This case is closed: reopen it first (custody of its items goes on while it is closed).',
  case_open: 'This case is already open.',
  case_status_forbidden: 'Only the agency that owns the case can close or reopen it.',
  case_share_exists: 'The case is already shared with them: revoke that share first to change its access.',
  case_share_forbidden: 'Only the agency that owns the case can share it.',
  case_share_revoked: 'That share was already revoked.',
  item_disposed: 'This item was disposed of: only corrections can follow.',
  agency_code_taken: 'An agency with this code already exists.',
  username_taken: 'This username is taken.',
  role_forbidden: 'Your role does not allow this.',
  internal_error: 'Something went wrong on the server.',
  database_unavailable: 'The database is unreachable right now. Try again in a moment.',
};

export function plainWords(problem: Problem): string {
  const words = PLAIN_WORDS[problem.code] ?? problem.detail;
  return problem.code === 'internal_error' && problem.requestId !== undefined
    ? `${words} Quote this reference: ${problem.requestId}`
    : words;
}

/** Plain words for a field's problem, by code (and field), where the server's message is for developers. */
const FIELD_WORDS: Record<string, (field: string) => string> = {
  occurred_in_future: () => 'This time is in the future: check the date and the computer’s clock.',
  accepted_before_release: () => 'This is before the items were handed over: a receipt comes after its release.',
  hash_reference_missing: () => 'This target has no reference hash yet: record the acquisition hashes after accepting.',
  // A disposal carries two passwords; the API names the field of the wrong one.
  signature_password_invalid: (field) =>
    field.startsWith('witness')
      ? 'That is not the witness’s password: nothing was signed or saved. The witness types it again.'
      : (PLAIN_WORDS.signature_password_invalid ?? 'That is not your password.'),
};

/** Where a problem without a field list belongs in a form. */
const CODE_FIELDS: Record<string, string> = {
  signature_password_invalid: 'signature.password',
  current_password_invalid: 'currentPassword',
  password_rejected: 'newPassword',
  receiver_invalid: 'to',
  case_number_taken: 'caseNumber',
  agency_code_taken: 'code',
  username_taken: 'username',
};

/** The messages for `field` (and anything inside it: `items[0]` covers `items[0].imeis[1]`). */
export function fieldMessages(problem: Problem | null, field: string): string[] {
  if (problem === null) return [];
  const errors: readonly FieldProblem[] =
    problem.errors ??
    (CODE_FIELDS[problem.code] === undefined
      ? []
      : [{ field: CODE_FIELDS[problem.code], messages: [plainWords(problem)] }]);
  return errors
    .filter(
      (error) => error.field === field || error.field.startsWith(`${field}.`) || error.field.startsWith(`${field}[`),
    )
    .flatMap((error) => {
      const words = FIELD_WORDS[problem.code];
      return words !== undefined ? [words(error.field)] : error.messages.map((message) => humanMessage(message));
    });
}

/** class-validator says `items.0.imeis must be …`; people want `must be …`. */
function humanMessage(message: string): string {
  const text = message.replace(/^[a-z][\w.[\]]* (\([^)]*\) )?/, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Whether every error of the problem has a field shown in the form (else the banner shows them). */
export function unplacedProblem(problem: Problem | null, shown: readonly string[]): boolean {
  if (problem === null) return false;
  const errors =
    problem.errors ??
    (CODE_FIELDS[problem.code] === undefined ? [] : [{ field: CODE_FIELDS[problem.code], messages: [] }]);
  if (errors.length === 0) return true;
  return errors.some(
    (error) =>
      !shown.some(
        (field) => error.field === field || error.field.startsWith(`${field}.`) || error.field.startsWith(`${field}[`),
      ),
  );
}
