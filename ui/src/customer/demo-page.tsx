import { type FormEvent, useState } from 'react';
import { errorMessage, requestJson } from '../shared/http.ts';
import { ChatPanel } from './chat-panel.tsx';
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
 * `/`: a Lumen Cloud page with the support chat. "Sign in as a demo customer" fetches an identity
 * token the way a real host page's backend would sign one (embedded mode only).
 */
export function DemoPage() {
  const [restored] = useState(readDemoSignIn);
  const [identityToken, setIdentityToken] = useState<string | null>(restored?.identityToken ?? null);
  const [signedInAs, setSignedInAs] = useState<string | null>(restored?.email ?? null);
  const [email, setEmail] = useState(demoCustomers[0]!.email);
  const [error, setError] = useState<string | null>(null);

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
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <div className="demo">
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
        <div id="chat" className="demo-chat">
          <ChatPanel apiBase="" identityToken={identityToken} />
        </div>
      </main>
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
