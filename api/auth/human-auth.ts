import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import type pg from 'pg';
import type { ApiContext, ApiSettings } from '../context.ts';
import { ApiError } from '../errors.ts';
import { dummyPasswordHash, hashPassword, minPasswordLength, verifyPassword } from './passwords.ts';

export { hashPassword, minPasswordLength, verifyPassword } from './passwords.ts';

/** A person who works the escalation queue (`agent`) or also administers Switchboard (`admin`). */
export interface HumanAgent {
  id: string;
  email: string;
  name: string;
  role: 'agent' | 'admin';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in human agent (set by `requireHuman`). */
    human?: HumanAgent;
    /** The console session of the request (set by `requireHuman`). */
    consoleSession?: { id: string; csrfToken: string };
  }
}

/** The console session cookie; it carries the session token, the database only its SHA-256. */
export const sessionCookieName = 'sb_session';
/** The header every console write must carry with the session's CSRF token. */
export const csrfHeaderName = 'x-csrf-token';

const roleRank: Record<HumanAgent['role'], number> = { agent: 1, admin: 2 };
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
// A cookie older than this gets re-sent with a fresh Max-Age, so the browser keeps a session still in use.
const cookieRefreshAfterMs = 60_000;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** The cookie flags of the console session (httpOnly, SameSite=Strict, Secure when configured). */
export function sessionCookieOptions(settings: ApiSettings) {
  return {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: settings.secureCookies,
    path: '/',
    maxAge: Math.floor(settings.sessionTtlMs / 1000),
  };
}

/** Creates a human agent with a scrypt-hashed password; rejects short passwords and duplicate emails. */
export async function createHumanAgent(
  pool: pg.Pool,
  input: { email: string; name: string; role: HumanAgent['role']; password: string },
): Promise<HumanAgent> {
  if (input.password.length < minPasswordLength) {
    throw new Error(`The password must be at least ${minPasswordLength} characters long`);
  }
  const email = input.email.trim().toLowerCase();
  const id = `hum_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const passwordHash = await hashPassword(input.password);
  const { rows } = await pool.query<HumanAgent>(
    `INSERT INTO human_agents (id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
     RETURNING id, email, name, role`,
    [id, email, input.name.trim(), input.role, passwordHash],
  );
  return rows[0]!;
}

/** The human with this email and password, or null; takes as long when the email is unknown. */
export async function authenticateHuman(
  pool: pg.Pool,
  email: string,
  password: string,
): Promise<HumanAgent | null> {
  const { rows } = await pool.query<HumanAgent & { password_hash: string }>(
    'SELECT id, email, name, role, password_hash FROM human_agents WHERE email = $1',
    [email.trim().toLowerCase()],
  );
  const row = rows[0];
  const ok = await verifyPassword(password, row?.password_hash ?? (await dummyPasswordHash()));
  if (!row || !ok) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

/** Starts a console session: returns the cookie token (only its hash is stored) and the CSRF token. */
export async function createHumanSession(
  pool: pg.Pool,
  humanId: string,
  ttlMs: number,
): Promise<{ token: string; sessionId: string; csrfToken: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const sessionId = sha256(token);
  const expiresAt = new Date(Date.now() + ttlMs);
  // Expired sessions of this human are swept here rather than by a job.
  await pool.query('DELETE FROM human_sessions WHERE human_id = $1 AND expires_at <= now()', [humanId]);
  await pool.query(
    'INSERT INTO human_sessions (id, human_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)',
    [sessionId, humanId, csrfToken, expiresAt],
  );
  return { token, sessionId, csrfToken, expiresAt };
}

/** Ends a session by its id (the token's SHA-256); a missing session is not an error. */
export async function destroyHumanSession(pool: pg.Pool, sessionId: string): Promise<void> {
  await pool.query('DELETE FROM human_sessions WHERE id = $1', [sessionId]);
}

/** Ends a session by the token its cookie carries. */
export async function destroyHumanSessionByToken(pool: pg.Pool, token: string): Promise<void> {
  await destroyHumanSession(pool, sha256(token));
}

/**
 * The live session a cookie token names, with its human; slides the session's expiry. Null when the
 * token is unknown or the session expired.
 */
export async function resolveHumanSession(
  pool: pg.Pool,
  token: string,
  ttlMs: number,
): Promise<{ human: HumanAgent; session: { id: string; csrfToken: string }; previousSeenAt: Date } | null> {
  // The FROM copy of the row is the pre-update snapshot: it gives when the session was last seen.
  const { rows } = await pool.query<{
    id: string;
    csrf_token: string;
    previous_seen_at: Date;
    human_id: string;
    email: string;
    name: string;
    role: HumanAgent['role'];
  }>(
    `WITH touched AS (
       UPDATE human_sessions s SET last_seen_at = now(), expires_at = now() + ($2::bigint * interval '1 millisecond')
         FROM human_sessions previous
        WHERE s.id = $1 AND previous.id = s.id AND s.expires_at > now()
        RETURNING s.id, s.csrf_token, s.human_id, previous.last_seen_at AS previous_seen_at)
     SELECT t.id, t.csrf_token, t.previous_seen_at, h.id AS human_id, h.email, h.name, h.role
       FROM touched t JOIN human_agents h ON h.id = t.human_id`,
    [sha256(token), ttlMs],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    human: { id: row.human_id, email: row.email, name: row.name, role: row.role },
    session: { id: row.id, csrfToken: row.csrf_token },
    previousSeenAt: new Date(row.previous_seen_at),
  };
}

/** Whether two tokens are equal, in time independent of where they differ. */
export function tokensMatch(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * A preHandler that admits a signed-in human with at least `role` (admins can do what agents can):
 * 401 `unauthorized` without a live session, 403 `forbidden` for too low a role, 403 `csrf_failed`
 * for a write without the session's `x-csrf-token`. Sets `request.human` and `request.consoleSession`.
 */
export function requireHuman(context: ApiContext, role: HumanAgent['role']): preHandlerAsyncHookHandler {
  return async function requireHumanHandler(request, reply) {
    const token = request.cookies[sessionCookieName];
    const found = token
      ? await resolveHumanSession(context.database.pool, token, context.settings.sessionTtlMs)
      : null;
    if (!found) throw new ApiError('unauthorized', 'Sign in to the console first');
    if (roleRank[found.human.role] < roleRank[role]) {
      throw new ApiError('forbidden', `This needs the ${role} role`);
    }
    if (!safeMethods.has(request.method)) {
      const header = request.headers[csrfHeaderName];
      if (!tokensMatch(Array.isArray(header) ? header[0] : header, found.session.csrfToken)) {
        throw new ApiError('csrf_failed', `Missing or wrong ${csrfHeaderName} header`);
      }
    }
    request.human = found.human;
    request.consoleSession = found.session;
    if (Date.now() - found.previousSeenAt.getTime() > cookieRefreshAfterMs) {
      refreshSessionCookie(reply, token!, context.settings);
    }
  };
}

/** Sets the session cookie (at login, and again as the session slides). */
export function setSessionCookie(reply: FastifyReply, token: string, settings: ApiSettings): void {
  reply.setCookie(sessionCookieName, token, sessionCookieOptions(settings));
}

const refreshSessionCookie = setSessionCookie;

/** Removes the session cookie from the browser. */
export function clearSessionCookie(reply: FastifyReply, settings: ApiSettings): void {
  const { maxAge: _maxAge, ...options } = sessionCookieOptions(settings);
  reply.clearCookie(sessionCookieName, options);
}
