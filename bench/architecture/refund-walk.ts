/**
 * The refund walk, measured: one verified customer reports a duplicate charge over the HTTP API,
 * confirms, and the confirmation email is delivered. Prints, for that walk only (after a warm-up
 * conversation), the repository files whose code ran (V8 precise coverage, so every layer the walk
 * passes through counts, wiring included), the folders they sit in, and per turn the statements that
 * touch the `conversations` row and the locks taken. Also the median and p90 length of the source
 * files. `npx tsx bench/architecture/refund-walk.ts`; figures in docs/architecture.md.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import type pg from 'pg';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { createTestApi, testIdentitySecret } from '../../test/support/api-harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Counts statements on the conversations row and lock statements, per phase. */
function instrument(pool: pg.Pool) {
  const counts = { conversationReads: 0, conversationWrites: 0, locks: 0 };
  const seen = (sql: unknown) => {
    const text = String(
      typeof sql === 'object' && sql && 'text' in sql ? (sql as { text: string }).text : sql,
    );
    if (/pg_advisory|FOR UPDATE/i.test(text)) counts.locks += 1;
    if (/\b(UPDATE|INSERT INTO)\s+conversations\b/i.test(text)) counts.conversationWrites += 1;
    else if (/\bFROM\s+conversations\b|\bJOIN\s+conversations\b/i.test(text)) counts.conversationReads += 1;
  };
  const wrap = <T extends { query: (...args: never[]) => unknown }>(target: T) => {
    const original = target.query.bind(target) as (...args: unknown[]) => unknown;
    (target as { query: unknown }).query = (...args: unknown[]) => {
      seen(args[0]);
      return original(...args);
    };
  };
  wrap(pool);
  // pg's Pool.query takes its client through connect(callback): both forms are wrapped.
  const once = (client: pg.PoolClient | undefined) => {
    if (client && !(client as { __counted?: boolean }).__counted) {
      wrap(client);
      (client as { __counted?: boolean }).__counted = true;
    }
  };
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  (pool as { connect: unknown }).connect = (callback?: (...args: unknown[]) => void) => {
    if (callback) {
      return connect((error, client, release) => {
        once(client as pg.PoolClient | undefined);
        callback(error, client, release);
      });
    }
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      once(client);
      return client;
    });
  };
  return {
    take() {
      const snapshot = { ...counts };
      counts.conversationReads = counts.conversationWrites = counts.locks = 0;
      return snapshot;
    },
  };
}

async function main() {
  const api = await createTestApi();
  const counter = instrument(api.database.pool);
  const token = await new SignJWT({ email: demoCustomers.duplicateCharge.email })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(testIdentitySecret));
  const start = async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      payload: { identityToken: token },
    });
    return response.json() as { conversationId: string; accessToken: string };
  };
  const say = async (conversation: { conversationId: string; accessToken: string }, text: string) => {
    const response = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/messages`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { text },
    });
    if (response.statusCode !== 200) throw new Error(`${text}: ${response.statusCode} ${response.body}`);
    return response.body;
  };

  // Warm-up: modules load, the intent model warms, caches fill.
  const warm = await start();
  await say(warm, 'What is your refund policy?');
  await api.context.switchboard.dispatcher.dispatchPending();

  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  await session.post('Profiler.takePreciseCoverage'); // resets the counts
  counter.take();

  const walk = await start();
  const first = await say(walk, 'Hi, I was charged twice this month for the same invoice.');
  const firstTurn = counter.take();
  const second = await say(walk, 'yes please');
  const secondTurn = counter.take();
  await api.context.switchboard.dispatcher.dispatchPending();
  const { result } = (await session.post('Profiler.takePreciseCoverage')) as {
    result: Array<{ url: string; functions: Array<{ ranges: Array<{ count: number }> }> }>;
  };
  await session.post('Profiler.stopPreciseCoverage');
  if (!/refund/i.test(second))
    throw new Error(`the walk did not refund: ${first.slice(0, 200)} / ${second.slice(0, 200)}`);
  const refunds = await api.database.pool.query(
    `SELECT count(*)::int AS n FROM email_outbox WHERE conversation_id = $1 AND template = 'refund_issued'`,
    [walk.conversationId],
  );

  const files = new Set<string>();
  for (const script of result) {
    if (!script.url.startsWith('file://')) continue;
    const file = path.relative(root, fileURLToPath(script.url.split('?')[0]!));
    if (
      file.startsWith('..') ||
      file.includes('node_modules') ||
      file.startsWith('test/') ||
      file.startsWith('bench/')
    )
      continue;
    if (script.functions.some((fn) => fn.ranges[0] && fn.ranges[0].count > 0)) files.add(file);
  }
  const folders = new Set([...files].map((file) => file.split('/')[0]));
  const lengths = sourceFileLengths().sort((a, b) => a - b);
  const quantile = (q: number) => lengths[Math.min(lengths.length - 1, Math.floor(q * lengths.length))];
  console.log(
    JSON.stringify(
      {
        refundEmails: refunds.rows[0].n,
        walkFiles: files.size,
        walkFolders: [...folders].sort(),
        perTurn: { report: firstTurn, confirm: secondTurn },
        sourceFiles: lengths.length,
        medianLines: quantile(0.5),
        p90Lines: quantile(0.9),
      },
      null,
      2,
    ),
  );
  if (process.argv.includes('--files')) console.log([...files].sort().join('\n'));
  await api.close();
}

/** Line counts of the non-test TypeScript sources (the UI included). */
function sourceFileLengths(): number[] {
  return execSync('git ls-files "*.ts" "*.tsx"', { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter(
      (file) =>
        file && !/\.test\.tsx?$/.test(file) && !file.startsWith('test/') && !file.startsWith('bench/'),
    )
    .map((file) => readFileSync(path.join(root, file), 'utf8').split('\n').length);
}

await main();
