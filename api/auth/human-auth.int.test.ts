import { createHash } from 'node:crypto';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.ts';
import { loginAs, testHumanPassword } from '../../test/support/console-login.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { type ApiApp, type ApiContext, defaultApiSettings } from '../context.ts';
import { installErrorHandling } from '../errors.ts';
import { consoleRoutes } from '../routes/console.ts';
import { demoHumanPassword, seedDemoHumans } from './demo-humans.ts';
import { createHumanAgent, hashPassword, requireHuman, verifyPassword } from './human-auth.ts';

/**
 * A scratch server with the console's session routes and two probe routes: only the pieces
 * authentication needs (the database is real; the agent, queue and bus are not touched here).
 */
async function createAuthApp(database: Database, secureCookies = false): Promise<ApiApp> {
  const context = {
    database,
    settings: { ...defaultApiSettings, secureCookies },
  } as unknown as ApiContext;
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>() as unknown as ApiApp;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  await app.register(cookie);
  await app.register(rateLimit, { global: true, max: 600, timeWindow: 60_000 });
  await app.register(async (scope) => consoleRoutes(scope as ApiApp, context));
  app.get('/probe/admin', { preHandler: requireHuman(context, 'admin') }, async (request) => ({
    human: request.human,
  }));
  app.post('/probe/write', { preHandler: requireHuman(context, 'agent') }, async () => ({ written: true }));
  await app.ready();
  return app;
}

describe(`human-agent authentication on ${testDatabaseKind()}`, () => {
  let database: Database;
  let app: ApiApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createAuthApp(database);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  describe('passwords', () => {
    it('hashes with scrypt and a random salt, and verifies only the right password', async () => {
      const first = await hashPassword('a long enough password');
      const second = await hashPassword('a long enough password');
      expect(first).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
      expect(first).not.toBe(second);
      expect(await verifyPassword('a long enough password', first)).toBe(true);
      expect(await verifyPassword('a long enough passworD', first)).toBe(false);
      expect(await verifyPassword('anything', 'not-a-hash')).toBe(false);
      expect(await verifyPassword('anything', 'scrypt$99999999$8$1$c2FsdA$aGFzaA')).toBe(false);
    });

    it('refuses passwords shorter than 10 characters and stores emails in lower case', async () => {
      await expect(
        createHumanAgent(database.pool, { email: 'x@y.io', name: 'X', role: 'agent', password: 'short' }),
      ).rejects.toThrow(/at least 10/);
      const human = await createHumanAgent(database.pool, {
        email: ' Mixed@Case.IO ',
        name: 'Mixed',
        role: 'agent',
        password: testHumanPassword,
      });
      expect(human.email).toBe('mixed@case.io');
      const { rows } = await database.pool.query('SELECT password_hash FROM human_agents WHERE id = $1', [
        human.id,
      ]);
      expect(rows[0].password_hash).not.toContain(testHumanPassword);
    });
  });

  describe('POST /api/console/login', () => {
    it('signs in with an httpOnly, SameSite=Strict session cookie whose token is stored only as a hash', async () => {
      const human = await createHumanAgent(database.pool, {
        email: 'login-ok@test.example',
        name: 'Login OK',
        role: 'agent',
        password: testHumanPassword,
      });
      const response = await app.inject({
        method: 'POST',
        url: '/api/console/login',
        payload: { email: 'LOGIN-OK@test.example', password: testHumanPassword },
      });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.human).toEqual(human);
      expect(body.csrfToken).toMatch(/^[\w-]{20,}$/);
      const setCookie = String(response.headers['set-cookie']);
      expect(setCookie).toMatch(/^sb_session=[\w-]+;/);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain('Path=/');
      expect(setCookie).toContain(`Max-Age=${defaultApiSettings.sessionTtlMs / 1000}`);
      expect(setCookie).not.toContain('Secure');
      const token = response.cookies[0]!.value;
      const { rows } = await database.pool.query(
        'SELECT id, csrf_token FROM human_sessions WHERE human_id = $1',
        [human.id],
      );
      expect(rows).toEqual([
        { id: createHash('sha256').update(token).digest('hex'), csrf_token: body.csrfToken },
      ]);
    });

    it('marks the cookie Secure when the settings say so', async () => {
      const secureApp = await createAuthApp(database, true);
      try {
        const { cookie: sessionCookie } = await loginAs(secureApp, database.pool, 'agent');
        expect(sessionCookie).toMatch(/^sb_session=/);
        const again = await secureApp.inject({
          method: 'POST',
          url: '/api/console/login',
          payload: { email: 'login-ok@test.example', password: testHumanPassword },
        });
        expect(String(again.headers['set-cookie'])).toContain('Secure');
      } finally {
        await secureApp.close();
      }
    });

    it('answers a wrong password and an unknown email with the same 401', async () => {
      await createHumanAgent(database.pool, {
        email: 'wrong-pw@test.example',
        name: 'Wrong',
        role: 'agent',
        password: testHumanPassword,
      });
      const wrong = await app.inject({
        method: 'POST',
        url: '/api/console/login',
        payload: { email: 'wrong-pw@test.example', password: 'not the password' },
      });
      const unknown = await app.inject({
        method: 'POST',
        url: '/api/console/login',
        payload: { email: 'nobody@test.example', password: 'not the password' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json()).toEqual({ error: { code: 'unauthorized', message: 'Wrong email or password' } });
      expect(unknown.json()).toEqual(wrong.json());
      expect(wrong.headers['set-cookie']).toBeUndefined();
    });

    it('rejects a body without a password as validation_failed', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/console/login',
        payload: { email: 'someone@test.example' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    });

    it('rate-limits repeated attempts on one email from one address', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 11; attempt++) {
        const response = await app.inject({
          method: 'POST',
          url: '/api/console/login',
          payload: { email: 'brute@test.example', password: `guess-number-${attempt}` },
        });
        statuses.push(response.statusCode);
        if (attempt === 10) expect(response.json().error.code).toBe('rate_limited');
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses[10]).toBe(429);
    });
  });

  describe('sessions', () => {
    it('GET /me returns the human and the CSRF token; without a cookie it is 401', async () => {
      const session = await loginAs(app, database.pool, 'agent');
      const me = await app.inject({ url: '/api/console/me', headers: { cookie: session.cookie } });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toEqual({ human: session.human, csrfToken: session.csrfToken });
      const anonymous = await app.inject({ url: '/api/console/me' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error.code).toBe('unauthorized');
      const forged = await app.inject({
        url: '/api/console/me',
        headers: { cookie: 'sb_session=forged-token' },
      });
      expect(forged.statusCode).toBe(401);
    });

    it('logout ends the session server-side and clears the cookie', async () => {
      const session = await loginAs(app, database.pool, 'agent');
      const logout = await app.inject({
        method: 'POST',
        url: '/api/console/logout',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
      });
      expect(logout.statusCode).toBe(204);
      expect(String(logout.headers['set-cookie'])).toMatch(/sb_session=;.*Expires=Thu, 01 Jan 1970/);
      const me = await app.inject({ url: '/api/console/me', headers: { cookie: session.cookie } });
      expect(me.statusCode).toBe(401);
    });

    it('refuses an expired session and slides a live one', async () => {
      const session = await loginAs(app, database.pool, 'agent');
      await database.pool.query(
        `UPDATE human_sessions SET expires_at = now() + interval '1 minute', last_seen_at = now() - interval '1 hour'
          WHERE human_id = $1`,
        [session.human.id],
      );
      const me = await app.inject({ url: '/api/console/me', headers: { cookie: session.cookie } });
      expect(me.statusCode).toBe(200);
      // Seen a while ago: the cookie is re-sent with a full Max-Age as the session slides.
      expect(String(me.headers['set-cookie'])).toContain('Max-Age=');
      const { rows } = await database.pool.query(
        `SELECT expires_at > now() + interval '7 hours' AS slid FROM human_sessions WHERE human_id = $1`,
        [session.human.id],
      );
      expect(rows[0].slid).toBe(true);

      await database.pool.query(
        `UPDATE human_sessions SET expires_at = now() - interval '1 second' WHERE human_id = $1`,
        [session.human.id],
      );
      const expired = await app.inject({ url: '/api/console/me', headers: { cookie: session.cookie } });
      expect(expired.statusCode).toBe(401);
      expect(expired.json().error.code).toBe('unauthorized');
    });
  });

  describe('requireHuman', () => {
    it('refuses a write without the CSRF header, or with a wrong one, as csrf_failed', async () => {
      const session = await loginAs(app, database.pool, 'agent');
      const missing = await app.inject({
        method: 'POST',
        url: '/probe/write',
        headers: { cookie: session.cookie },
      });
      expect(missing.statusCode).toBe(403);
      expect(missing.json().error.code).toBe('csrf_failed');
      const wrong = await app.inject({
        method: 'POST',
        url: '/probe/write',
        headers: { cookie: session.cookie, 'x-csrf-token': `${session.csrfToken}x` },
      });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().error.code).toBe('csrf_failed');
      const other = await loginAs(app, database.pool, 'agent');
      const crossed = await app.inject({
        method: 'POST',
        url: '/probe/write',
        headers: { cookie: session.cookie, 'x-csrf-token': other.csrfToken },
      });
      expect(crossed.json().error?.code).toBe('csrf_failed');
      const right = await app.inject({
        method: 'POST',
        url: '/probe/write',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
      });
      expect(right.statusCode).toBe(200);
      expect(right.json()).toEqual({ written: true });
    });

    it('keeps an agent off an admin route and lets an admin in', async () => {
      const agent = await loginAs(app, database.pool, 'agent');
      const refused = await app.inject({ url: '/probe/admin', headers: { cookie: agent.cookie } });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBe('forbidden');
      const admin = await loginAs(app, database.pool, 'admin');
      const allowed = await app.inject({ url: '/probe/admin', headers: { cookie: admin.cookie } });
      expect(allowed.statusCode).toBe(200);
      expect(allowed.json().human).toEqual(admin.human);
    });
  });

  describe('seedDemoHumans', () => {
    it('creates the demo agent and admin once, and they can sign in', async () => {
      const created = await seedDemoHumans(database.pool);
      expect(created.map((human) => [human.email, human.role])).toEqual([
        ['agent@lumen.example', 'agent'],
        ['admin@lumen.example', 'admin'],
      ]);
      expect(await seedDemoHumans(database.pool)).toEqual([]);
      const login = await app.inject({
        method: 'POST',
        url: '/api/console/login',
        payload: { email: 'admin@lumen.example', password: demoHumanPassword },
      });
      expect(login.statusCode).toBe(200);
      expect(login.json().human.role).toBe('admin');
    });
  });
});
