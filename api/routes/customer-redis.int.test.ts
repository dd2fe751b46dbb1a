import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { waitFor } from '../../jobs/testing/handlers.ts';
import { createTestApi, type TestApi, testIdentitySecret } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { dataParts, parseUiStream, streamedText } from '../../test/support/ui-stream.ts';

/** The production shape in one process: BullMQ queue + worker on real Redis, events over Redis pub/sub. */
let api: TestApi;
const prefix = `sb-test-api-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  api = await createTestApi({ redis: { url: 'redis://127.0.0.1:6379', prefix }, runWorkers: true });
  await api.context.switchboard.classifier?.warm();
}, 120_000);
afterAll(async () => api?.close());

describe('customer messages through BullMQ and Redis', () => {
  it('streams the reply of a turn a BullMQ worker ran, and the demo token route signs a customer in', async () => {
    const token = await api.app.inject({
      url: `/api/demo/identity-token?email=${encodeURIComponent(demoCustomers.duplicateCharge.email)}`,
    });
    expect(token.statusCode).toBe(200);
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      payload: { identityToken: token.json().identityToken },
    });
    const { conversationId, accessToken, customer } = started.json();
    expect(customer.name).toBe('Maya Chen');
    const response = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversationId}/messages`,
      headers: { authorization: `Bearer ${accessToken}` },
      payload: { text: 'Hi, I think I was charged twice this month.' },
    });
    const chunks = parseUiStream(response.body);
    expect(dataParts(chunks, 'confirmation')).toHaveLength(1);
    expect(streamedText(chunks)).toMatch(/\$99/);
    const counts = await api.context.jobs.counts();
    expect(counts.failed).toBe(0);
  });

  it('signs demo identity tokens for the demo customers only, never for any other contact', async () => {
    const { rows } = await api.database.pool.query<{ email: string }>(
      `SELECT email FROM contacts WHERE id <> ALL($1) ORDER BY id LIMIT 1`,
      [Object.values(demoCustomers).map((customer) => customer.contact)],
    );
    const other = rows[0]!.email;
    const refused = await api.app.inject({
      url: `/api/demo/identity-token?email=${encodeURIComponent(other)}`,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('forbidden');
    expect(refused.body).not.toContain('identityToken');
    const upperCase = demoCustomers.openTicket.email.toUpperCase();
    const demo = await api.app.inject({
      url: `/api/demo/identity-token?email=${encodeURIComponent(upperCase)}`,
    });
    expect(demo.statusCode).toBe(200);
  });

  it('refuses demo identity tokens outside the embedded demo', async () => {
    const production = await createTestApi({
      database: api.database,
      settings: { mode: 'production', faultInjection: false },
    });
    const response = await production.app.inject({ url: '/api/demo/identity-token?email=a@b.io' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_available');
    await production.close();
  });

  it('does not accept an identity token signed with the demo secret of another deployment', async () => {
    const forged = await new SignJWT({ email: demoCustomers.duplicateCharge.email })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(`${testIdentitySecret}-other`));
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      payload: { identityToken: forged },
    });
    expect(started.statusCode).toBe(401);
  });

  it('arms and clears a fault an admin injects in every process sharing the Redis (the workers too)', async () => {
    const other = await createTestApi({
      database: api.database,
      redis: { url: 'redis://127.0.0.1:6379', prefix },
    });
    try {
      const admin = await loginAs(api.app, api.database.pool, 'admin');
      const headers = { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken };
      const armed = await api.app.inject({
        method: 'POST',
        url: '/api/admin/faults',
        headers,
        payload: { connector: 'billing', mode: 'error' },
      });
      expect(armed.statusCode).toBe(201);
      await waitFor('the other process to arm the fault', () =>
        other.context.switchboard.faults.armed().some((fault) => fault.connector === 'billing'),
      );
      // Applied once in the process that took the request: its own event is not applied again.
      expect(api.context.switchboard.faults.armed()).toHaveLength(1);
      await api.app.inject({ method: 'DELETE', url: '/api/admin/faults', headers });
      await waitFor(
        'the other process to clear it',
        () => other.context.switchboard.faults.armed().length === 0,
      );
    } finally {
      await other.close();
    }
  });
});
