import type pg from 'pg';
import { vendorFailureKinds } from '../../connectors/core/pipeline.ts';
import { type Queryable, withTransaction } from '../../db/database.ts';
import type { AnalyticsFigures, AnalyticsQuery, AnalyticsSummary } from '../contract/analytics.ts';
import { escalationReasons } from '../contract/values.ts';

/**
 * The analytics page's numbers (docs/analytics.md), computed by SQL over the conversation tables:
 * no rollup table to keep in step, since the period filters run on indexed timestamps (migration
 * 0029) and a 90-day view of 100k conversations stays well under the page's budget (measured by
 * `npm run bench:analytics`). Every query is the same text on PGlite and PostgreSQL.
 *
 * Parameters of every query: $1 first day, $2 last day (dates, both included), $3 the IANA zone the
 * days are counted in, $4 the channel or null. Each groups by `GROUPING SETS ((day), ())`: the
 * period's totals come from the same scan, and percentiles over the period are true percentiles,
 * not an average of the days'.
 */

/** A timestamp column within the period's days, counted in the zone ($3). */
const inPeriod = (column: string) =>
  `${column} >= ($1::date)::timestamp AT TIME ZONE $3 AND ${column} < ($2::date + 1)::timestamp AT TIME ZONE $3`;
const dayOf = (column: string) => `to_char(${column} AT TIME ZONE $3, 'YYYY-MM-DD')`;

/** The conversations that started in the period (on the channel), each with its first hand-over to a human. */
const cohort = `
  WITH conv AS (
    SELECT c.id, c.created_at, c.outcome, c.intent, ${dayOf('c.created_at')} AS day
      FROM conversations c
     WHERE ${inPeriod('c.created_at')} AND ($4::text IS NULL OR c.channel = $4)
  ), handed AS (
    SELECT DISTINCT ON (e.conversation_id) e.conversation_id, e.reason, e.created_at
      FROM escalations e JOIN conv ON conv.id = e.conversation_id
     ORDER BY e.conversation_id, e.created_at, e.id
  )`;

const conversationsSql = `${cohort}, human AS (
    SELECT h.conversation_id,
      extract(epoch FROM (SELECT min(m.created_at) FROM messages m
                           WHERE m.conversation_id = h.conversation_id AND m.role = 'human'
                             AND m.created_at >= h.created_at) - h.created_at) AS first_response,
      extract(epoch FROM (SELECT min(r.resolved_at) FROM escalations r
                           WHERE r.conversation_id = h.conversation_id AND r.status = 'resolved')
                         - conv.created_at) AS resolution
      FROM handed h JOIN conv ON conv.id = h.conversation_id
  )
  SELECT conv.day, count(*)::int AS conversations,
    count(*) FILTER (WHERE conv.outcome IN ('resolved', 'answered'))::int AS automated,
    count(*) FILTER (WHERE conv.outcome = 'resolved' AND EXISTS (
      SELECT 1 FROM audit_log a WHERE a.conversation_id = conv.id AND a.actor = 'agent'
         AND a.effect = 'write' AND a.outcome = 'ok'))::int AS verified,
    count(human.conversation_id)::int AS escalated,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY human.first_response) AS first_response_p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY human.first_response) AS first_response_p90,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY human.resolution) AS resolution_p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY human.resolution) AS resolution_p90
  FROM conv LEFT JOIN human ON human.conversation_id = conv.id
  GROUP BY GROUPING SETS ((conv.day), ())`;

const reasonsSql = `${cohort}
  SELECT conv.day, handed.reason AS key, count(*)::int AS count
    FROM handed JOIN conv ON conv.id = handed.conversation_id
   GROUP BY GROUPING SETS ((conv.day, handed.reason), (handed.reason))`;

const intentsSql = `${cohort}
  SELECT conv.day, coalesce(conv.intent, 'unclassified') AS key, count(*)::int AS count
    FROM conv GROUP BY GROUPING SETS ((conv.day, coalesce(conv.intent, 'unclassified')),
                                      (coalesce(conv.intent, 'unclassified')))`;

// An approval request is an escalation for approval that holds its action itself (one linked to
// another conversation's approval of the same action is decided there: migration 0019). Its outcome
// is the first decision stored after it (conversations/escalations.ts `decideApproval`).
const approvalsSql = `
  SELECT ${dayOf('e.created_at')} AS day, count(*)::int AS requested,
    count(*) FILTER (WHERE d.approved)::int AS approved,
    count(*) FILTER (WHERE NOT d.approved)::int AS denied,
    count(*) FILTER (WHERE d.approved IS NULL AND e.status IN ('open', 'claimed'))::int AS pending,
    count(*) FILTER (WHERE d.approved IS NULL AND e.status NOT IN ('open', 'claimed'))::int AS closed_undecided
  FROM escalations e
  LEFT JOIN LATERAL (
    SELECT (m.metadata->>'approved')::boolean AS approved FROM messages m
     WHERE m.conversation_id = e.conversation_id AND m.role = 'system' AND m.metadata->>'kind' = 'approval'
       AND m.created_at >= e.created_at
     ORDER BY m.id LIMIT 1) d ON true
  WHERE e.reason = 'approval_required' AND e.awaits_escalation_id IS NULL AND ${inPeriod('e.created_at')}
    AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM conversations c WHERE c.id = e.conversation_id AND c.channel = $4))
  GROUP BY GROUPING SETS ((1), ())`;

const csatSql = `
  SELECT ${dayOf('r.created_at')} AS day, r.rating::text AS key, count(*)::int AS count
    FROM csat_ratings r
   WHERE ${inPeriod('r.created_at')} AND ($4::text IS NULL OR r.channel = $4)
   GROUP BY GROUPING SETS ((1, r.rating), (r.rating))`;

// As the connectors page counts them (api/admin/connector-health.ts): only calls that reached or
// tried to reach the system; a stale answer or an error of a vendor-failure kind is a failure.
const connectorsSql = `
  SELECT ${dayOf('a.at')} AS day, count(*)::int AS calls,
    count(*) FILTER (WHERE a.outcome = 'stale' OR (a.outcome = 'error' AND a.error_kind = ANY($5::text[])))::int AS failures,
    percentile_disc(0.95) WITHIN GROUP (ORDER BY a.latency_ms) AS p95
  FROM audit_log a
  WHERE ${inPeriod('a.at')} AND a.outcome IN ('ok', 'stale', 'error')
    AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM conversations c WHERE c.id = a.conversation_id AND c.channel = $4))
  GROUP BY GROUPING SETS ((1), ())`;

/** Every calendar day from `from` to `to`, both included (dates are zone-free here). */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += 86_400_000)
    days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

const ratio = (count: number, total: number) => (total > 0 ? count / total : null);
const rounded = (value: number | string | null | undefined, digits = 1) =>
  value == null ? null : Math.round(Number(value) * 10 ** digits) / 10 ** digits;

function emptyFigures(): AnalyticsFigures {
  return {
    conversations: 0,
    automated: 0,
    automatedRate: null,
    verifiedActions: 0,
    verifiedActionRate: null,
    escalated: 0,
    escalationRate: null,
    escalationsByReason: {},
    approvals: { requested: 0, approved: 0, denied: 0, pending: 0, closedUndecided: 0 },
    humanHandled: {
      conversations: 0,
      firstResponseMedianSeconds: null,
      firstResponseP90Seconds: null,
      resolutionMedianSeconds: null,
      resolutionP90Seconds: null,
    },
    csat: { ratings: 0, average: null, distribution: [0, 0, 0, 0, 0] },
    intents: {},
    connectors: { calls: 0, failures: 0, successRate: null, p95LatencyMs: null },
  };
}

/** The summary of the period: every day (empty ones included) and the totals. */
export async function analyticsSummary(pool: pg.Pool, query: AnalyticsQuery): Promise<AnalyticsSummary> {
  return withTransaction(pool, async (client) => {
    // One snapshot for every figure of the page (the queries run one after another), read only.
    // JIT off: these queries' estimated costs (correlated look-ups per conversation) make PostgreSQL
    // compile them, which took ~0.7 s of a 1.3 s summary on 100k conversations and saves nothing at
    // this size; more sort memory keeps the per-day sorts of a 90-day view out of temporary files.
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await client.query('SET LOCAL jit = off');
    await client.query("SET LOCAL work_mem = '32MB'");
    return summaryIn(client, query);
  });
}

async function summaryIn(db: Queryable, query: AnalyticsQuery): Promise<AnalyticsSummary> {
  const parameters = [query.from, query.to, query.tz, query.channel ?? null];
  const days = daysOf(query.from, query.to);
  const byDay = new Map(days.map((day) => [day, emptyFigures()]));
  const totals = emptyFigures();
  /** The figures of a row's day, or the totals for the grand-total row (day null). */
  const figuresOf = (day: string | null) => (day === null ? totals : byDay.get(day));

  type Keyed = { day: string | null; key: string; count: number };
  // One after the other: PGlite serves one query at a time anyway, and a pool of five would let one
  // admin's page take five connections.
  const conversations = await db.query<{
    day: string | null;
    conversations: number;
    automated: number;
    verified: number;
    escalated: number;
    first_response_p50: number | null;
    first_response_p90: number | null;
    resolution_p50: number | null;
    resolution_p90: number | null;
  }>(conversationsSql, parameters);
  for (const row of conversations.rows) {
    const figures = figuresOf(row.day);
    if (!figures) continue;
    Object.assign(figures, {
      conversations: row.conversations,
      automated: row.automated,
      automatedRate: ratio(row.automated, row.conversations),
      verifiedActions: row.verified,
      verifiedActionRate: ratio(row.verified, row.conversations),
      escalated: row.escalated,
      escalationRate: ratio(row.escalated, row.conversations),
      humanHandled: {
        conversations: row.escalated,
        firstResponseMedianSeconds: rounded(row.first_response_p50),
        firstResponseP90Seconds: rounded(row.first_response_p90),
        resolutionMedianSeconds: rounded(row.resolution_p50),
        resolutionP90Seconds: rounded(row.resolution_p90),
      },
    });
  }

  for (const row of (await db.query<Keyed>(reasonsSql, parameters)).rows) {
    const figures = figuresOf(row.day);
    if (figures && (escalationReasons as readonly string[]).includes(row.key))
      figures.escalationsByReason[row.key as (typeof escalationReasons)[number]] = row.count;
  }
  for (const row of (await db.query<Keyed>(intentsSql, parameters)).rows) {
    const figures = figuresOf(row.day);
    if (figures) figures.intents[row.key] = row.count;
  }

  const approvals = await db.query<{
    day: string | null;
    requested: number;
    approved: number;
    denied: number;
    pending: number;
    closed_undecided: number;
  }>(approvalsSql, parameters);
  for (const row of approvals.rows) {
    const figures = figuresOf(row.day);
    if (figures)
      figures.approvals = {
        requested: row.requested,
        approved: row.approved,
        denied: row.denied,
        pending: row.pending,
        closedUndecided: row.closed_undecided,
      };
  }

  for (const row of (await db.query<Keyed>(csatSql, parameters)).rows) {
    const figures = figuresOf(row.day);
    const rating = Number(row.key);
    if (!figures || !(rating >= 1 && rating <= 5)) continue;
    figures.csat.distribution[rating - 1] = row.count;
  }
  for (const figures of [...byDay.values(), totals]) {
    const ratings = figures.csat.distribution.reduce((sum, count) => sum + count, 0);
    const points = figures.csat.distribution.reduce((sum, count, index) => sum + count * (index + 1), 0);
    figures.csat.ratings = ratings;
    figures.csat.average = ratings > 0 ? Math.round((points / ratings) * 100) / 100 : null;
  }

  const connectors = await db.query<{
    day: string | null;
    calls: number;
    failures: number;
    p95: number | null;
  }>(connectorsSql, [...parameters, [...vendorFailureKinds]]);
  for (const row of connectors.rows) {
    const figures = figuresOf(row.day);
    if (figures)
      figures.connectors = {
        calls: row.calls,
        failures: row.failures,
        successRate: ratio(row.calls - row.failures, row.calls),
        p95LatencyMs: rounded(row.p95),
      };
  }

  return {
    from: query.from,
    to: query.to,
    tz: query.tz,
    channel: query.channel ?? null,
    days: days.map((date) => ({ date, ...byDay.get(date)! })),
    totals,
    latestEval: await latestEval(db),
  };
}

/** The latest finished eval run with a resolution rate for the agent (evals/metrics.ts SuiteSummary). */
async function latestEval(db: Queryable): Promise<AnalyticsSummary['latestEval']> {
  const { rows } = await db.query<{ id: string; suite: string; finished_at: Date; rate: string | null }>(
    `SELECT id, suite, finished_at, summary->'agent'->'resolution'->>'rate' AS rate FROM eval_runs
      WHERE finished_at IS NOT NULL AND jsonb_typeof(summary->'agent'->'resolution'->'rate') = 'number'
      ORDER BY finished_at DESC, id DESC LIMIT 1`,
  );
  const row = rows[0];
  return row
    ? {
        runId: row.id,
        suite: row.suite,
        finishedAt: new Date(row.finished_at).toISOString(),
        resolutionRate: Number(row.rate),
      }
    : null;
}

/**
 * A text cell as spreadsheets read it safely: quoted when it holds a quote, comma or line break, and
 * a leading `=`, `+`, `-` or `@` (a formula to a spreadsheet) escaped with an apostrophe.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

type Column = [string, (day: AnalyticsSummary['days'][number]) => string | number | null];

/** The summary as CSV: a header, then one row per day; the intents seen in the period are columns. */
export function analyticsCsv(summary: AnalyticsSummary): string {
  const intents = Object.keys(summary.totals.intents).sort();
  const columns: Column[] = [
    ['date', (day) => day.date],
    ['conversations', (day) => day.conversations],
    ['automated', (day) => day.automated],
    ['automated_rate', (day) => rounded(day.automatedRate, 4)],
    ['verified_actions', (day) => day.verifiedActions],
    ['verified_action_rate', (day) => rounded(day.verifiedActionRate, 4)],
    ['escalated', (day) => day.escalated],
    ['escalation_rate', (day) => rounded(day.escalationRate, 4)],
    ...escalationReasons.map(
      (reason): Column => [`escalated_${reason}`, (day) => day.escalationsByReason[reason] ?? 0],
    ),
    ['approvals_requested', (day) => day.approvals.requested],
    ['approvals_approved', (day) => day.approvals.approved],
    ['approvals_denied', (day) => day.approvals.denied],
    ['approvals_pending', (day) => day.approvals.pending],
    ['approvals_closed_undecided', (day) => day.approvals.closedUndecided],
    ['human_handled', (day) => day.humanHandled.conversations],
    ['first_response_median_s', (day) => day.humanHandled.firstResponseMedianSeconds],
    ['first_response_p90_s', (day) => day.humanHandled.firstResponseP90Seconds],
    ['resolution_median_s', (day) => day.humanHandled.resolutionMedianSeconds],
    ['resolution_p90_s', (day) => day.humanHandled.resolutionP90Seconds],
    ['csat_ratings', (day) => day.csat.ratings],
    ['csat_average', (day) => day.csat.average],
    ...[1, 2, 3, 4, 5].map(
      (rating): Column => [`csat_${rating}`, (day) => day.csat.distribution[rating - 1]!],
    ),
    ['connector_calls', (day) => day.connectors.calls],
    ['connector_failures', (day) => day.connectors.failures],
    ['connector_success_rate', (day) => rounded(day.connectors.successRate, 4)],
    ['connector_p95_ms', (day) => day.connectors.p95LatencyMs],
    ...intents.map((intent): Column => [`intent_${intent}`, (day) => day.intents[intent] ?? 0]),
  ];
  const lines = [
    columns.map(([name]) => csvCell(name)).join(','),
    ...summary.days.map((day) => columns.map(([, cell]) => csvCell(cell(day))).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
