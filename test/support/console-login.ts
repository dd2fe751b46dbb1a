import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createHumanAgent, type HumanAgent, sessionCookieName } from '../../api/auth/human-auth.ts';
import type { ApiApp } from '../../api/context.ts';

/** The password every `loginAs` human gets. */
export const testHumanPassword = 'correct horse battery staple';

/**
 * Creates a human agent with a unique email and signs in through `POST /api/console/login`.
 * `cookie` is the value for a request's `cookie` header; send `csrfToken` as `x-csrf-token` on writes.
 */
export async function loginAs(
  app: ApiApp,
  pool: pg.Pool,
  role: 'agent' | 'admin',
): Promise<{ cookie: string; csrfToken: string; human: HumanAgent }> {
  const suffix = randomBytes(4).toString('hex');
  const human = await createHumanAgent(pool, {
    email: `${role}-${suffix}@test.example`,
    name: `Test ${role} ${suffix}`,
    role,
    password: testHumanPassword,
  });
  const response = await app.inject({
    method: 'POST',
    url: '/api/console/login',
    payload: { email: human.email, password: testHumanPassword },
  });
  if (response.statusCode !== 200) {
    throw new Error(`loginAs(${role}) failed: ${response.statusCode} ${response.body}`);
  }
  const session = response.cookies.find((cookie) => cookie.name === sessionCookieName);
  if (!session) throw new Error(`loginAs(${role}): no ${sessionCookieName} cookie in the login response`);
  const body = response.json() as { csrfToken: string };
  return { cookie: `${sessionCookieName}=${session.value}`, csrfToken: body.csrfToken, human };
}
