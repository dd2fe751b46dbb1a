import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { createHumanAgent, sessionCookieName } from '../../api/auth/human-auth.ts';
import { type BenchChild, startChild } from '../api/processes.ts';

const run = promisify(execFile);

/**
 * The processes and services of one chaos run: the chaos database on the local PostgreSQL, a Redis
 * server of its own (never the machine's shared one), the API and two workers (app/server-main.ts,
 * app/worker-main.ts, started with bench/api/processes.ts like the API benchmark does).
 */

/** `switchboard_chaos` (or the database of `--database-url`), dropped and created again, with pgvector. */
export async function recreateDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`the chaos database name must be a plain identifier (got "${name}")`);
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  } finally {
    await client.end();
  }
}

/**
 * Terminates every backend of the chaos database except the harness's own (`pg_terminate_backend`):
 * the API's and the workers' connections die mid-query, as when PostgreSQL restarts or a proxy drops them.
 */
export async function terminateBackends(pool: pg.Pool, databaseName: string): Promise<number> {
  const { rows } = await pool.query<{ terminated: boolean }>(
    `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
      WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND application_name <> 'switchboard-chaos-harness'`,
    [databaseName],
  );
  return rows.filter((row) => row.terminated).length;
}

/** A redis-server the run owns, on its own port, without persistence: a restart loses every key. */
export class ChaosRedis {
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async ping(): Promise<boolean> {
    return run('redis-cli', ['-p', String(this.port), 'ping'])
      .then(({ stdout }) => stdout.trim() === 'PONG')
      .catch(() => false);
  }

  async start(): Promise<void> {
    if (await this.ping())
      throw new Error(
        `something already answers on port ${this.port}; stop it or choose another --redis-port`,
      );
    await run('redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
    ]);
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await this.ping()) return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${this.port} did not answer PING`);
  }

  /** `shutdown nosave`: the server exits at once and its data is gone. */
  async stop(): Promise<void> {
    await run('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave']).catch(() => {});
    for (let attempt = 0; attempt < 100 && (await this.ping()); attempt++) await sleep(50);
  }
}

/** What the API and the workers share. */
export interface StackSettings {
  databaseUrl: string;
  redisUrl: string;
  dataDir: string;
  masterKey: string;
  identitySecret: string;
}

const sharedEnvironment = (settings: StackSettings) => ({
  DATABASE_URL: settings.databaseUrl,
  REDIS_URL: settings.redisUrl,
  REDIS_PREFIX: 'chaos',
  DATA_DIR: settings.dataDir,
  MASTER_KEY: settings.masterKey,
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
  SWITCHBOARD_MODE: 'production',
  // Taking a connector down goes through the admin fault API, refused in production unless allowed.
  ALLOW_FAULT_INJECTION: 'true',
  PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
});

/** One worker (`npm run worker`'s entry point); resolves once it says it takes jobs. */
export async function startWorker(settings: StackSettings, name: string): Promise<BenchChild> {
  const { child } = await startChild(
    name,
    'app/worker-main.ts',
    { ...sharedEnvironment(settings), WORKER_CONCURRENCY: '2', WORKER_SHUTDOWN_GRACE_MS: '2000' },
    /worker ready/,
  );
  return child;
}

/** The API (`npm start`'s entry point) on a free loopback port; resolves once /readyz answers 200. */
export async function startApi(settings: StackSettings): Promise<{ child: BenchChild; url: string }> {
  const { child, match } = await startChild(
    'api',
    'app/server-main.ts',
    {
      ...sharedEnvironment(settings),
      HOST: '127.0.0.1',
      PORT: '0',
      IDENTITY_JWT_SECRET: settings.identitySecret,
      COOKIE_SECURE: 'false',
      // Hundreds of customers on one loopback IP: the per-IP limit would measure 429s, not chaos.
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    },
    /listening on (http:\/\/\S+)/,
  );
  const url = match[1]!;
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`${url}/readyz`).catch(() => null);
    if (ready?.status === 200) break;
    if (attempt > 300) throw new Error('api: /readyz never answered 200');
    await sleep(200);
  }
  return { child, url };
}

const sessionSchema = z.object({ csrfToken: z.string().min(1) });
const faultsSchema = z.object({
  armed: z.array(z.object({ connector: z.string(), operation: z.string(), times: z.number() })),
});

/** The admin fault API (docs/api.md, "Admin"), signed in as an admin the run creates. */
export interface FaultAdmin {
  arm(fault: { connector: string; operation: string; mode: 'error'; count: number }): Promise<void>;
  clear(): Promise<void>;
}

export async function signInFaultAdmin(pool: pg.Pool, apiUrl: string): Promise<FaultAdmin> {
  const password = randomBytes(18).toString('base64url');
  const email = `chaos-admin-${randomBytes(4).toString('hex')}@chaos.example`;
  await createHumanAgent(pool, { email, name: 'Chaos admin', role: 'admin', password });
  const login = await fetch(`${apiUrl}/api/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (login.status !== 200) throw new Error(`admin login: ${login.status} ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((header) => header.split(';')[0]!)
    .find((pair) => pair.startsWith(`${sessionCookieName}=`));
  if (!cookie) throw new Error('admin login set no session cookie');
  const { csrfToken } = sessionSchema.parse(await login.json());
  const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
  // An admin call may meet the database connections the run just terminated: retried, it is idempotent
  // in effect (arming twice only raises the count of an outage the run clears anyway).
  const call = async (method: 'POST' | 'DELETE', body?: unknown) => {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${apiUrl}/api/admin/faults`, {
        method,
        headers: body === undefined ? { cookie, 'x-csrf-token': csrfToken } : headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).catch(() => null);
      if (response?.ok) return faultsSchema.parse(await response.json());
      if (attempt >= 10)
        throw new Error(`admin ${method} /api/admin/faults: ${response?.status} ${await response?.text()}`);
      await sleep(500);
    }
  };
  return {
    async arm(fault) {
      await call('POST', fault);
    },
    async clear() {
      const { armed } = await call('DELETE');
      if (armed.length) throw new Error(`faults still armed after clearing: ${JSON.stringify(armed)}`);
    },
  };
}
