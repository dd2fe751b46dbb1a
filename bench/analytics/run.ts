import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { numberOption, parseCommandLine } from '../../app/cli/command-line.ts';

/**
 * `npm run bench:analytics`: the analytics page's queries (api/admin/analytics-queries.ts) on a seeded
 * history — by default 100k conversations over 180 days with their messages, escalations, approvals,
 * ratings and connector calls, written with set-based SQL (generate_series) — timing the 90-day summary
 * and CSV export N times on PGlite and, when a server is given, on a fresh PostgreSQL database.
 */
const command = {
  command: 'npm run bench:analytics',
  summary:
    'Seeds a realistic support history (conversations over a period of days, with intents, channels,\n' +
    'messages, escalations and their reasons, approvals and decisions, human replies, CSAT ratings and\n' +
    'connector calls) with set-based SQL, then times the analytics summary and the CSV export of the\n' +
    'last N days, several times each: median and p95. Runs on embedded PGlite (in memory), and also on\n' +
    'PostgreSQL when --database-url or TEST_DATABASE_URL names a server: a fresh database\n' +
    'is created there and dropped afterwards (the named database is never written). Prints the figures\n' +
    'and writes bench/out/analytics-<time>.json (docs/analytics.md).',
  options: {
    conversations: { type: 'string', value: '<n>', default: '100000', description: 'conversations to seed' },
    'history-days': { type: 'string', value: '<n>', default: '180', description: 'days the history spans' },
    'view-days': { type: 'string', value: '<n>', default: '90', description: 'days of the timed view' },
    runs: { type: 'string', value: '<n>', default: '20', description: 'timed runs of each request' },
    'database-url': {
      type: 'string',
      value: '<url>',
      description: 'a PostgreSQL server to also run on (default TEST_DATABASE_URL)',
    },
    'pglite-only': { type: 'boolean', default: false, description: 'skip PostgreSQL even when a URL is set' },
  },
  examples: [
    'npm run bench:analytics',
    'npm run bench:analytics -- --database-url postgres://postgres@127.0.0.1:5432/postgres',
    'npm run bench:analytics -- --conversations 10000 --runs 5 --pglite-only',
  ],
  notes: ['Environment: TEST_DATABASE_URL, as --database-url.'],
} as const;
const { values } = parseCommandLine(command);
const conversations = numberOption(command, 'conversations', values.conversations, { min: 1, integer: true });
const historyDays = numberOption(command, 'history-days', values['history-days'], { min: 1, integer: true });
const viewDays = numberOption(command, 'view-days', values['view-days'], { min: 1, integer: true });
const runs = numberOption(command, 'runs', values.runs, { min: 1, integer: true });

// Imported after the command line is read: `--help` answers without loading the application.
const { openDatabase } = await import('../../db/database.ts');
const { migrateToLatest } = await import('../../db/migrate.ts');
const { analyticsCsv, analyticsSummary } = await import('../../api/admin/analytics-queries.ts');
const { createPostgresTestDatabase, testDatabaseKind } = await import('../../test/support/database.ts');
/** Also on PostgreSQL: the named server, else TEST_DATABASE_URL's (test/support/database.ts reads it). */
const onPostgres =
  !values['pglite-only'] && (values['database-url'] !== undefined || testDatabaseKind() === 'postgres');
type Pool = Awaited<ReturnType<typeof openDatabase>>['pool'];

const log = (line: string) => process.stderr.write(`[bench:analytics] ${line}\n`);

/**
 * The history, in one transaction of set-based statements. Spreads (fixed seed): 80% chat; outcomes
 * 45% answered, 20% resolved, 25% escalated, 10% none yet; 30% rated; about 2.5 connector calls each.
 */
async function seed(pool: Pool): Promise<Record<string, number>> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT setseed(0.42)');
    await client.query(
      `INSERT INTO conversations (id, channel, status, outcome, intent, created_at, updated_at)
       SELECT 'bc_' || g, CASE WHEN r.c < 0.8 THEN 'chat' ELSE 'email' END,
         CASE WHEN r.o < 0.45 THEN 'resolved' WHEN r.o < 0.65 THEN 'resolved' WHEN r.o < 0.9 THEN 'resolved' ELSE 'open' END,
         CASE WHEN r.o < 0.45 THEN 'answered' WHEN r.o < 0.65 THEN 'resolved' WHEN r.o < 0.9 THEN 'escalated' END,
         CASE WHEN r.i < 0.05 THEN NULL
              ELSE (ARRAY['billing.refund_request','billing.duplicate_charge','billing.invoice_copy','billing.payment_failed',
                          'billing.change_plan','billing.cancel_subscription','calendar.book_call','ticket.report_bug',
                          'ticket.status','account.update_contact','account.access','kb.question','kb.question',
                          'kb.question','human.request','other'])[1 + floor(r.i2 * 16)::int] END,
         r.at, r.at
       FROM generate_series(1, $1::int) g,
         LATERAL (SELECT random() AS c, random() AS o, random() AS i, random() AS i2,
                         now() - random() * ($2::int || ' days')::interval AS at, g AS keep) r`,
      [conversations, historyDays],
    );
    // Four messages a conversation (customer and agent), a few minutes apart.
    await client.query(
      `INSERT INTO messages (conversation_id, role, body, created_at)
       SELECT c.id, CASE WHEN n % 2 = 1 THEN 'customer' ELSE 'agent' END, 'Seeded message ' || n,
              c.created_at + (n * 40 || ' seconds')::interval
         FROM conversations c, generate_series(1, 4) n`,
    );
    // Every escalated conversation was handed over once; a fifth of them for an approval.
    await client.query(
      `INSERT INTO escalations (id, conversation_id, reason, priority, status, packet, created_at, claimed_at, resolved_at, decided_at)
       SELECT 'be_' || c.id, c.id, x.reason, 'normal', x.status, '{}', x.at,
              CASE WHEN x.status <> 'open' THEN x.at + interval '5 minutes' END,
              CASE WHEN x.status IN ('resolved','handed_back') THEN x.at + (1 + random() * 24) * interval '1 hour' END,
              NULL
         FROM conversations c,
         LATERAL (SELECT c.created_at + (2 + random() * 10) * interval '1 minute' AS at,
                         CASE WHEN r < 0.2 THEN 'approval_required' WHEN r < 0.4 THEN 'customer_requested'
                              WHEN r < 0.55 THEN 'low_confidence' WHEN r < 0.7 THEN 'connector_failure'
                              WHEN r < 0.8 THEN 'policy_requires_human' WHEN r < 0.9 THEN 'negative_sentiment'
                              WHEN r < 0.95 THEN 'security_sensitive' ELSE 'loop_detected' END AS reason,
                         CASE WHEN s < 0.85 THEN 'resolved' WHEN s < 0.93 THEN 'handed_back'
                              WHEN s < 0.97 THEN 'claimed' ELSE 'open' END AS status
                    FROM (SELECT random() AS r, random() AS s, c.id AS keep) v) x
        WHERE c.outcome = 'escalated'`,
    );
    // A person answers most hand-overs within the hour; approvals get a decision (three in four approved).
    await client.query(
      `INSERT INTO messages (conversation_id, role, body, created_at)
       SELECT e.conversation_id, 'human', 'Seeded reply', e.created_at + (1 + random() * 60) * interval '1 minute'
         FROM escalations e WHERE e.status <> 'open' AND random() < 0.95`,
    );
    await client.query(
      `INSERT INTO messages (conversation_id, role, body, metadata, created_at)
       SELECT e.conversation_id, 'system', 'Seeded decision',
              jsonb_build_object('kind', 'approval', 'approved', random() < 0.75), e.created_at + interval '3 minutes'
         FROM escalations e WHERE e.reason = 'approval_required' AND e.status IN ('resolved', 'claimed')`,
    );
    await client.query(
      `INSERT INTO csat_ratings (conversation_id, rating, channel, created_at)
       SELECT c.id, CASE WHEN r < 0.05 THEN 1 WHEN r < 0.12 THEN 2 WHEN r < 0.25 THEN 3 WHEN r < 0.55 THEN 4 ELSE 5 END,
              c.channel, c.created_at + interval '20 minutes'
         FROM conversations c, LATERAL (SELECT random() AS r, c.id AS keep) v
        WHERE c.outcome IS NOT NULL AND random() < 0.33`,
    );
    // Connector calls: reads for most, a write for resolved ones; latency skewed to a long tail.
    await client.query(
      `INSERT INTO audit_log (at, conversation_id, actor, connector_id, operation, effect, args_hash, outcome, error_kind, latency_ms)
       SELECT c.created_at + n * interval '30 seconds', c.id, 'agent',
              (ARRAY['billing','crm','ticketing','calendar'])[1 + floor(v.k * 4)::int],
              CASE WHEN n = 3 THEN 'write_op' ELSE 'read_op' END,
              CASE WHEN n = 3 THEN 'write' ELSE 'read' END, 'seed',
              CASE WHEN v.o < 0.95 THEN 'ok' WHEN v.o < 0.97 THEN 'stale' ELSE 'error' END,
              CASE WHEN v.o >= 0.97 THEN CASE WHEN v.o < 0.985 THEN 'transient' ELSE 'not_found' END END,
              20 + power(v.l, 4) * 3000
         FROM conversations c, generate_series(1, 3) n,
         LATERAL (SELECT random() AS k, random() AS o, random() AS l, c.id AS keep1, n AS keep2) v
        WHERE n < 3 AND random() < 0.8 OR n = 3 AND c.outcome = 'resolved'`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
  await pool.query('ANALYZE');
  const counts: Record<string, number> = {};
  for (const table of ['conversations', 'messages', 'escalations', 'csat_ratings', 'audit_log']) {
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    counts[table] = rows[0]!.n;
  }
  return counts;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

async function time(label: string, work: () => Promise<unknown>) {
  for (let warm = 0; warm < 2; warm++) await work();
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const figures = {
    runs,
    medianMs: Math.round(percentile(samples, 0.5) * 10) / 10,
    p95Ms: Math.round(percentile(samples, 0.95) * 10) / 10,
    maxMs: Math.round(samples.at(-1)! * 10) / 10,
  };
  log(`${label}: median ${figures.medianMs} ms, p95 ${figures.p95Ms} ms (${runs} runs)`);
  return figures;
}

async function measure(engine: 'pglite' | 'postgres', pool: Pool) {
  log(`${engine}: seeding ${conversations} conversations over ${historyDays} days…`);
  const seededAt = performance.now();
  const rows = await seed(pool);
  const seedSeconds = Math.round((performance.now() - seededAt) / 100) / 10;
  log(`${engine}: seeded in ${seedSeconds} s: ${JSON.stringify(rows)}`);
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - (viewDays - 1) * 86_400_000).toISOString().slice(0, 10);
  const query = { from, to, tz: 'UTC' };
  const sample = await analyticsSummary(pool, query);
  log(
    `${engine}: ${viewDays}-day view: ${sample.totals.conversations} conversations, automated ${((sample.totals.automatedRate ?? 0) * 100).toFixed(1)}%, ${sample.totals.connectors.calls} connector calls`,
  );
  const loadBefore = loadavg()[0]!;
  const summary = await time(`${engine} summary (${viewDays} days, UTC)`, () =>
    analyticsSummary(pool, query),
  );
  const zoned = await time(`${engine} summary (${viewDays} days, Europe/Paris)`, () =>
    analyticsSummary(pool, { ...query, tz: 'Europe/Paris' }),
  );
  const csv = await time(`${engine} CSV export (${viewDays} days)`, async () =>
    analyticsCsv(await analyticsSummary(pool, query)),
  );
  // The machine is shared: the load average says how busy it was while the timings ran.
  const load = { before: Math.round(loadBefore * 10) / 10, after: Math.round(loadavg()[0]! * 10) / 10 };
  log(`${engine}: load average ${load.before} before, ${load.after} after the timings`);
  return {
    engine,
    seedSeconds,
    rows,
    viewConversations: sample.totals.conversations,
    load,
    summary,
    zoned,
    csv,
  };
}

const results = [];
{
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    await migrateToLatest(database.pool);
    results.push(await measure('pglite', database.pool));
  } finally {
    await database.close();
  }
}
if (onPostgres) {
  const database = await createPostgresTestDatabase(values['database-url']);
  try {
    results.push(await measure('postgres', database.pool));
  } finally {
    await database.close();
  }
}

const report = {
  command: `npm run bench:analytics -- ${process.argv.slice(2).join(' ')}`.trim(),
  at: new Date().toISOString(),
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.version },
  conversations,
  historyDays,
  viewDays,
  results,
};
await mkdir('bench/out', { recursive: true });
const file = `bench/out/analytics-${report.at.replace(/[:.]/g, '-')}.json`;
await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
log(`wrote ${file}`);
