import {
  createContext,
  type FormEvent,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useState,
} from 'react';
import type { Human, LoginBody, SessionResponse } from '../../../api/contract/console.ts';
import { ApiRequestError, errorMessage, type RequestOptions, requestJson } from './http.ts';

/** The signed-in human agent (or admin) and the session's CSRF token. */
interface StaffSession {
  me: Human;
  csrfToken: string;
}

interface StaffSessionValue {
  me: Human;
  /** Calls the API with the session cookie, adding the CSRF token to every write. */
  request<T>(url: string, options?: RequestOptions): Promise<T>;
  logout(): Promise<void>;
}

const StaffSessionContext = createContext<StaffSessionValue | null>(null);

/** The session of the console/admin page; only inside `<StaffGate>`. */
export function useStaffSession(): StaffSessionValue {
  const value = useContext(StaffSessionContext);
  if (!value) throw new Error('useStaffSession outside <StaffGate>');
  return value;
}

/** The session as `POST /api/console/login` and `GET /api/console/me` answer it. */
const readSession = ({ human, csrfToken }: SessionResponse): StaffSession => ({ me: human, csrfToken });

/**
 * Shows a login form until there is a console session, then its children. The CSRF token lives in
 * memory only (never in storage), so a script on another page cannot read it.
 */
export function StaffGate({
  title,
  requireAdmin,
  children,
}: {
  title: string;
  requireAdmin?: boolean;
  children: ReactNode;
}) {
  const [session, setSession] = useState<StaffSession | null>(null);
  const [checking, setChecking] = useState(true);

  useEffect(() => {
    requestJson<SessionResponse>('/api/console/me')
      .then((data) => setSession(readSession(data)))
      .catch(() => setSession(null))
      .finally(() => setChecking(false));
  }, []);

  const request = useCallback(
    <T,>(url: string, options: RequestOptions = {}): Promise<T> => {
      const write = options.method && options.method !== 'GET';
      const headers = {
        ...options.headers,
        ...(write && session ? { 'x-csrf-token': session.csrfToken } : {}),
      };
      return requestJson<T>(url, { ...options, headers }).catch((error: unknown) => {
        // An expired session sends the member back to the login form.
        if (error instanceof ApiRequestError && error.status === 401) setSession(null);
        throw error;
      });
    },
    [session],
  );

  const logout = useCallback(async () => {
    try {
      await request('/api/console/logout', { method: 'POST', body: {} });
    } finally {
      setSession(null);
    }
  }, [request]);

  if (checking) return <p className="page-status">Loading…</p>;
  if (!session) return <LoginForm title={title} onSignedIn={setSession} />;
  if (requireAdmin && session.me.role !== 'admin') {
    return (
      <main className="narrow" id="main">
        <h1>{title}</h1>
        <p role="alert">
          You are signed in as {session.me.name}, an agent. These pages need an admin account.
        </p>
        <p>
          <a href="/console">Go to the console</a>
        </p>
      </main>
    );
  }
  return (
    <StaffSessionContext.Provider value={{ me: session.me, request, logout }}>
      {children}
    </StaffSessionContext.Provider>
  );
}

function LoginForm({ title, onSignedIn }: { title: string; onSignedIn(session: StaffSession): void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(
        readSession(
          await requestJson<SessionResponse>('/api/console/login', {
            method: 'POST',
            body: { email, password } satisfies LoginBody,
          }),
        ),
      );
    } catch (failure) {
      setError(
        failure instanceof ApiRequestError && failure.status === 401
          ? 'Wrong email or password.'
          : errorMessage(failure),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="narrow" id="main">
      <h1>{title}</h1>
      <form className="card stack" onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <h2>Sign in</h2>
        <label>
          Email
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p id="login-error" className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
