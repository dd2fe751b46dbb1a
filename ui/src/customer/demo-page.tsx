import { type FormEvent, useState } from 'react';
import { errorMessage, requestJson } from '../shared/http.ts';
import { ChatPanel } from './chat-panel.tsx';

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
  const [identityToken, setIdentityToken] = useState<string | null>(null);
  const [signedInAs, setSignedInAs] = useState<string | null>(null);
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
