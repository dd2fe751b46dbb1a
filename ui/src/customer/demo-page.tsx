import { type FormEvent, useEffect, useState } from 'react';
import { errorMessage, requestJson } from '../shared/http.ts';
import { ChatLauncher, useLauncherOpen } from './chat-launcher.tsx';
import { forgetConversation } from './conversation-session.ts';

/** Demo customers of the seeded Lumen Cloud world (db/world/demo-world.ts), each an edge case. */
const demoCustomers = [
  { email: 'maya.chen@brightpath.io', story: 'charged twice' },
  { email: 'omar.haddad@northwind-analytics.com', story: 'failed payment' },
  { email: 'lena.vogel@oakridge.de', story: 'refund outside the window' },
  { email: 'priya.nair@quantaleap.io', story: 'refund above the limit' },
  { email: 'james.whitfield@globex.com', story: 'enterprise account' },
  { email: 'sofia.rossi@verdant.co', story: 'open ticket' },
];

/**
 * `/`: a Lumen Cloud page with the support chat behind a launcher button, as a customer's site would
 * have it. "Sign in as a demo customer" fetches an identity token the way a real host page's backend
 * would sign one (embedded mode only) and opens the chat as that customer.
 */
export function DemoPage() {
  const [restored] = useState(readDemoSignIn);
  const [identityToken, setIdentityToken] = useState<string | null>(restored?.identityToken ?? null);
  const [signedInAs, setSignedInAs] = useState<string | null>(restored?.email ?? null);
  const [email, setEmail] = useState(restored?.email ?? demoCustomers[0]!.email);
  const [error, setError] = useState<string | null>(null);
  // `/#chat` (the skip link's target, or a shared link) opens the chat.
  const [chatOpen, setChatOpen] = useLauncherOpen(
    'switchboard.demo-chat-open',
    window.location.hash === '#chat',
  );

  // Another tab signing in or out changes this one too: the page and its chat show the same person.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== demoSignInKey) return;
      const current = readDemoSignIn();
      setIdentityToken(current?.identityToken ?? null);
      setSignedInAs(current?.email ?? null);
      if (current) setEmail(current.email);
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  // The skip link (`#chat`) opens the chat: the launcher's focus handling then moves into it.
  useEffect(() => {
    const onHash = () => {
      if (window.location.hash === '#chat') setChatOpen(true);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [setChatOpen]);

  const signIn = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const data = await requestJson<{ identityToken?: string; token?: string }>(
        `/api/demo/identity-token?email=${encodeURIComponent(email)}`,
      );
      const token = data.identityToken ?? data.token;
      if (!token) throw new Error('The server returned no token.');
      setIdentityToken(token);
      setSignedInAs(email);
      writeDemoSignIn({ email, identityToken: token, expiresAt: Date.now() + demoSignInTtlMs });
      // Signing in is to try the chat as that customer: open it (it restarts as them).
      setChatOpen(true);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <div className="demo" data-chat-open={chatOpen ? 'true' : 'false'}>
      <a className="skip-link" href="#chat">
        Skip to the support chat
      </a>
      <header className="site-header">
        <span className="brand">Lumen Cloud</span>
        <nav aria-label="Demo">
          <a href="/console">Agent console</a>
          <a href="/admin">Admin</a>
        </nav>
      </header>
      <main id="main" className="demo-main">
        <section className="demo-intro">
          <h1>Help center</h1>
          <p>
            Lumen Cloud hosts analytics workspaces for teams. Ask the assistant about billing, refunds, plan
            changes, onboarding calls or incidents — it can look up your account once you are signed in or
            have verified your email.
          </p>
          <form className="card stack" onSubmit={signIn}>
            <h2>Demo sign-in</h2>
            {signedInAs ? (
              <p role="status">
                Signed in as <strong>{signedInAs}</strong>. The chat now knows who you are.
              </p>
            ) : (
              <p>Chatting as a guest. Sign in as a demo customer to try account actions.</p>
            )}
            <label>
              Demo customer
              <select value={email} onChange={(event) => setEmail(event.target.value)}>
                {demoCustomers.map((customer) => (
                  <option key={customer.email} value={customer.email}>
                    {customer.email} — {customer.story}
                  </option>
                ))}
              </select>
            </label>
            <div className="button-row">
              <button type="submit" className="primary">
                Sign in as a demo customer
              </button>
              {signedInAs && (
                <button
                  type="button"
                  onClick={() => {
                    // Signing out ends the signed-in conversation here: its token is revoked and
                    // forgotten, so the next visitor of this browser does not see it.
                    forgetConversation('');
                    writeDemoSignIn(null);
                    setIdentityToken(null);
                    setSignedInAs(null);
                  }}
                >
                  Sign out
                </button>
              )}
            </div>
            {error && (
              <p className="error" role="alert">
                Could not sign in: {error}
              </p>
            )}
          </form>
        </section>
      </main>
      <ChatLauncher
        id="chat"
        apiBase=""
        identityToken={identityToken}
        open={chatOpen}
        onOpenChange={setChatOpen}
      />
    </div>
  );
}

/**
 * The demo sign-in, kept as a host page keeps its session: a reload stays signed in (and so finds the
 * signed-in conversation again). Shorter than the identity token's lifetime (a day by default).
 */
const demoSignInKey = 'switchboard.demo-sign-in';
const demoSignInTtlMs = 12 * 60 * 60_000;

interface DemoSignIn {
  email: string;
  identityToken: string;
  expiresAt: number;
}

function readDemoSignIn(): DemoSignIn | null {
  try {
    const stored = JSON.parse(window.localStorage.getItem(demoSignInKey) ?? 'null') as DemoSignIn | null;
    return stored && typeof stored.identityToken === 'string' && stored.expiresAt > Date.now()
      ? stored
      : null;
  } catch {
    return null;
  }
}

function writeDemoSignIn(signIn: DemoSignIn | null): void {
  try {
    if (signIn) window.localStorage.setItem(demoSignInKey, JSON.stringify(signIn));
    else window.localStorage.removeItem(demoSignInKey);
  } catch {
    // Storage disabled: the sign-in lasts as long as the page.
  }
}
