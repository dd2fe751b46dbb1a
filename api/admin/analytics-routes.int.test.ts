import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationStore } from '../../conversations/store.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import type { AnalyticsSummary } from '../contract/analytics.ts';
import { csvCell } from './analytics-queries.ts';

/**
 * The analytics API on a hand-built history whose numbers are worked out below by hand (docs/analytics.md
 * says what each metric counts). Conversation metrics count conversations by the day they started;
 * approvals, ratings and connector calls by when they happened.
 */

let api: TestApi;
let admin: Awaited<ReturnType<typeof loginAs>>;

const period = 'from=2026-03-01&to=2026-03-03';

function asAdmin(options: InjectOptions) {
  return api.app.inject({ ...options, headers: { cookie: admin.cookie, ...options.headers } });
}

async function summary(query: string): Promise<AnalyticsSummary> {
  const response = await asAdmin({ method: 'GET', url: `/api/admin/analytics/summary?${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as AnalyticsSummary;
}

beforeAll(async () => {
  api = await createTestApi({ seed: false });
  admin = await loginAs(api.app, api.database.pool, 'admin');
}, 120_000);

afterAll(async () => {
  await api?.close();
});

describe(`analytics on an empty database (${testDatabaseKind()})`, () => {
  it('answers every day of the period with zeros and no rates, and an empty CSV body', async () => {
    const empty = await summary(`${period}&tz=UTC`);
    expect(empty.days.map((day) => day.date)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(empty.totals).toMatchObject({
      conversations: 0,
      automatedRate: null,
      escalationRate: null,
      escalationsByReason: {},
      intents: {},
      csat: { ratings: 0, average: null, distribution: [0, 0, 0, 0, 0] },
      connectors: { calls: 0, successRate: null, p95LatencyMs: null },
      humanHandled: { conversations: 0, firstResponseMedianSeconds: null },
    });
    expect(empty.latestEval).toBeNull();
    const csv = await asAdmin({ method: 'GET', url: `/api/admin/analytics/export.csv?${period}` });
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^2026-03-01,0,0,,0,,0,,/);
  });
});

describe(`analytics of a hand-built history (${testDatabaseKind()})`, () => {
  beforeAll(async () => {
    const pool = api.database.pool;
    const human = admin.human.id;
    const conversation = (
      id: string,
      channel: string,
      at: string,
      outcome: string | null,
      intent: string | null,
    ) =>
      pool.query(
        `INSERT INTO conversations (id, channel, status, outcome, intent, created_at) VALUES ($1, $2, 'open', $3, $4, $5)`,
        [id, channel, outcome, intent, at],
      );
    const escalation = (
      id: string,
      conversationId: string,
      reason: string,
      at: string,
      status: string,
      resolvedAt: string | null,
      awaits: string | null = null,
    ) =>
      pool.query(
        `INSERT INTO escalations (id, conversation_id, reason, status, packet, created_at, resolved_at, awaits_escalation_id, claimed_by)
         VALUES ($1, $2, $3, $4, '{}', $5, $6, $7, CASE WHEN $4 <> 'open' THEN $8 END)`,
        [id, conversationId, reason, status, at, resolvedAt, awaits, human],
      );
    const message = (conversationId: string, role: string, at: string, metadata: object = {}) =>
      pool.query(
        `INSERT INTO messages (conversation_id, role, body, metadata, created_at) VALUES ($1, $2, 'x', $3, $4)`,
        [conversationId, role, JSON.stringify(metadata), at],
      );
    const call = (
      conversationId: string | null,
      at: string,
      effect: string,
      outcome: string,
      latencyMs: number,
      errorKind: string | null = null,
      actor = 'agent',
    ) =>
      pool.query(
        `INSERT INTO audit_log (at, conversation_id, actor, connector_id, operation, effect, args_hash, outcome, error_kind, latency_ms)
         VALUES ($1, $2, $3, 'billing', 'op', $4, 'h', $5, $6, $7)`,
        [at, conversationId, actor, effect, outcome, errorKind, latencyMs],
      );
    const rating = (conversationId: string, stars: number, channel: string, at: string) =>
      pool.query(
        `INSERT INTO csat_ratings (conversation_id, rating, channel, created_at) VALUES ($1, $2, $3, $4)`,
        [conversationId, stars, channel, at],
      );

    // Before the period: counted by nothing that is bucketed by the conversation; its rating is in it.
    await conversation('c0', 'chat', '2026-02-28T12:00:00Z', 'resolved', 'kb.question');
    await call('c0', '2026-02-28T12:01:00Z', 'read', 'ok', 5000);
    // 1 March
    await conversation('c1', 'chat', '2026-03-01T10:00:00Z', 'resolved', 'billing.refund_request');
    await call('c1', '2026-03-01T10:01:00Z', 'read', 'ok', 50);
    await call('c1', '2026-03-01T10:05:00Z', 'write', 'ok', 100);
    await conversation('c2', 'chat', '2026-03-01T11:00:00Z', 'answered', 'kb.question');
    await call('c2', '2026-03-01T11:01:00Z', 'read', 'ok', 30);
    await conversation('c3', 'chat', '2026-03-01T12:00:00Z', 'escalated', 'billing.refund_request');
    await call('c3', '2026-03-01T12:00:30Z', 'write', 'approval_required', 5);
    await escalation(
      'e3',
      'c3',
      'approval_required',
      '2026-03-01T12:01:00Z',
      'resolved',
      '2026-03-01T13:00:00Z',
    );
    await message('c3', 'human', '2026-03-01T12:05:00Z');
    await message('c3', 'system', '2026-03-01T12:10:00Z', { kind: 'approval', approved: true });
    // 23:30 UTC is already 2 March in Paris.
    await conversation('c4', 'email', '2026-03-01T23:30:00Z', null, null);
    // 2 March
    await conversation('c5', 'chat', '2026-03-02T09:00:00Z', 'escalated', 'human.request');
    await escalation(
      'e5a',
      'c5',
      'customer_requested',
      '2026-03-02T09:02:00Z',
      'handed_back',
      '2026-03-02T09:30:00Z',
    );
    await message('c5', 'human', '2026-03-02T09:12:00Z');
    await escalation(
      'e5b',
      'c5',
      'low_confidence',
      '2026-03-02T10:00:00Z',
      'resolved',
      '2026-03-02T11:00:00Z',
    );
    await message('c5', 'human', '2026-03-02T10:30:00Z');
    await conversation('c6', 'chat', '2026-03-02T10:00:00Z', 'resolved', 'billing.refund_request');
    await call('c6', '2026-03-02T10:01:00Z', 'read', 'stale', 20);
    await call('c6', '2026-03-02T10:05:00Z', 'write', 'error', 900, 'transient');
    await conversation('c7', 'chat', '2026-03-02T14:00:00Z', 'escalated', 'billing.change_plan');
    await escalation('e7', 'c7', 'approval_required', '2026-03-02T14:01:00Z', 'claimed', null);
    // 3 March
    await conversation('c8', 'chat', '2026-03-03T08:00:00Z', 'escalated', 'billing.refund_request');
    await escalation(
      'e8',
      'c8',
      'approval_required',
      '2026-03-03T08:01:00Z',
      'resolved',
      '2026-03-03T08:20:00Z',
    );
    await message('c8', 'system', '2026-03-03T08:10:00Z', { kind: 'approval', approved: false });
    await message('c8', 'human', '2026-03-03T08:16:00Z');
    // Linked to c8's approval of the same action: escalated, but not an approval request of its own.
    await conversation('c9', 'chat', '2026-03-03T08:30:00Z', 'escalated', 'billing.refund_request');
    await escalation(
      'e9',
      'c9',
      'approval_required',
      '2026-03-03T08:31:00Z',
      'resolved',
      '2026-03-03T08:50:00Z',
      'e8',
    );
    await conversation('c10', 'chat', '2026-03-03T12:00:00Z', 'escalated', 'billing.cancel_subscription');
    await escalation(
      'e10',
      'c10',
      'approval_required',
      '2026-03-03T12:01:00Z',
      'handed_back',
      '2026-03-03T12:30:00Z',
    );
    // A call of no conversation whose error is the caller's, not the vendor's; an admin's change.
    await call(null, '2026-03-03T07:00:00Z', 'read', 'error', 40, 'not_found');
    await call(null, '2026-03-03T07:00:00Z', 'write', 'changed', 0, null, 'human');
    await rating('c0', 5, 'chat', '2026-03-01T09:00:00Z');
    await rating('c1', 4, 'chat', '2026-03-01T10:30:00Z');
    await rating('c2', 2, 'chat', '2026-03-01T23:45:00Z');
    await rating('c4', 5, 'email', '2026-03-02T08:00:00Z');
    await rating('c8', 1, 'chat', '2026-03-03T09:00:00Z');
    // Eval runs: the latest finished one is shown; a newer unfinished one is not.
    const run = (id: string, rate: number | null, startedAt: string, finishedAt: string | null) =>
      pool.query(
        `INSERT INTO eval_runs (id, suite, summary, started_at, finished_at) VALUES ($1, 'smoke', $2, $3, $4)`,
        [
          id,
          rate === null ? null : JSON.stringify({ agent: { resolution: { count: 1, total: 1, rate } } }),
          startedAt,
          finishedAt,
        ],
      );
    await run('evr_old', 0.5, '2026-02-01T00:00:00Z', '2026-02-01T00:10:00Z');
    await run('evr_new', 0.8, '2026-03-01T00:00:00Z', '2026-03-01T00:10:00Z');
    await run('evr_running', null, '2026-03-02T00:00:00Z', null);
  });

  it('counts conversations, automated and verified resolutions, escalations by reason, per day (UTC)', async () => {
    const result = await summary(`${period}&tz=UTC`);
    const [first, second, third] = result.days;
    expect([first!.conversations, second!.conversations, third!.conversations]).toEqual([4, 3, 3]);
    expect([first!.automated, second!.automated, third!.automated]).toEqual([2, 1, 0]);
    expect(first!.automatedRate).toBe(0.5);
    expect(second!.automatedRate).toBeCloseTo(1 / 3, 10);
    expect(third!.automatedRate).toBe(0);
    expect([first!.verifiedActions, second!.verifiedActions, third!.verifiedActions]).toEqual([1, 0, 0]);
    expect(first!.verifiedActionRate).toBe(0.25);
    expect(first!.escalationsByReason).toEqual({ approval_required: 1 });
    expect(second!.escalationsByReason).toEqual({ customer_requested: 1, approval_required: 1 });
    expect(third!.escalationsByReason).toEqual({ approval_required: 3 });
    expect(result.totals).toMatchObject({
      conversations: 10,
      automated: 3,
      automatedRate: 0.3,
      verifiedActions: 1,
      verifiedActionRate: 0.1,
      escalated: 6,
      escalationRate: 0.6,
      escalationsByReason: { approval_required: 5, customer_requested: 1 },
    });
    expect(result.totals.intents).toEqual({
      'billing.refund_request': 5,
      'kb.question': 1,
      'human.request': 1,
      'billing.change_plan': 1,
      'billing.cancel_subscription': 1,
      unclassified: 1,
    });
    expect(result.latestEval).toMatchObject({ runId: 'evr_new', suite: 'smoke', resolutionRate: 0.8 });
  });

  it('counts approval requests by outcome, and human first response and time to resolution', async () => {
    const result = await summary(period);
    expect(result.tz).toBe('UTC');
    expect(result.days.map((day) => day.approvals)).toEqual([
      { requested: 1, approved: 1, denied: 0, pending: 0, closedUndecided: 0 },
      { requested: 1, approved: 0, denied: 0, pending: 1, closedUndecided: 0 },
      { requested: 2, approved: 0, denied: 1, pending: 0, closedUndecided: 1 },
    ]);
    // First responses 240 s (c3), 600 s (c5, from its first hand-over), 900 s (c8); resolutions
    // 3600 s (c3), 7200 s (c5), 1200 s (c8), 1200 s (c9); c7 and c10 have neither.
    expect(result.totals.humanHandled).toEqual({
      conversations: 6,
      firstResponseMedianSeconds: 600,
      firstResponseP90Seconds: 840,
      resolutionMedianSeconds: 2400,
      resolutionP90Seconds: 6120,
    });
    expect(result.days[0]!.humanHandled).toMatchObject({
      firstResponseMedianSeconds: 240,
      resolutionMedianSeconds: 3600,
    });
    expect(result.days[2]!.humanHandled).toMatchObject({
      firstResponseMedianSeconds: 900,
      resolutionMedianSeconds: 1200,
    });
  });

  it('counts CSAT by the day of the rating and connector calls with their success rate and p95', async () => {
    const result = await summary(period);
    expect(result.days.map((day) => day.csat)).toEqual([
      { ratings: 3, average: 3.67, distribution: [0, 1, 0, 1, 1] },
      { ratings: 1, average: 5, distribution: [0, 0, 0, 0, 1] },
      { ratings: 1, average: 1, distribution: [1, 0, 0, 0, 0] },
    ]);
    expect(result.totals.csat).toEqual({ ratings: 5, average: 3.4, distribution: [1, 1, 0, 1, 2] });
    expect(result.days.map((day) => day.connectors)).toEqual([
      { calls: 3, failures: 0, successRate: 1, p95LatencyMs: 100 },
      { calls: 2, failures: 2, successRate: 0, p95LatencyMs: 900 },
      { calls: 1, failures: 0, successRate: 1, p95LatencyMs: 40 },
    ]);
    expect(result.totals.connectors).toEqual({
      calls: 6,
      failures: 2,
      successRate: 4 / 6,
      p95LatencyMs: 900,
    });
  });

  it('counts days in the viewer’s time zone', async () => {
    const result = await summary(`${period}&tz=Europe/Paris`);
    expect(result.tz).toBe('Europe/Paris');
    expect(result.days.map((day) => day.conversations)).toEqual([3, 4, 3]);
    expect(result.days.map((day) => day.csat.ratings)).toEqual([2, 2, 1]);
    expect(result.days[0]!.csat.average).toBe(4.5);
    expect(result.days[1]!.csat.average).toBe(3.5);
  });

  it('filters by channel', async () => {
    const email = await summary(`${period}&channel=email`);
    expect(email.channel).toBe('email');
    expect(email.totals).toMatchObject({
      conversations: 1,
      automated: 0,
      intents: { unclassified: 1 },
      csat: { ratings: 1, average: 5 },
      connectors: { calls: 0, successRate: null },
    });
    const chat = await summary(`${period}&channel=chat`);
    // The call of no conversation belongs to no channel.
    expect(chat.totals.connectors).toMatchObject({ calls: 5, failures: 2 });
    expect(chat.totals.conversations).toBe(9);
  });

  it('exports the same numbers as CSV, one row per day, as a download', async () => {
    const response = await asAdmin({
      method: 'GET',
      url: `/api/admin/analytics/export.csv?${period}&tz=UTC`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="switchboard-analytics-2026-03-01-to-2026-03-03.csv"',
    );
    const [header, ...rows] = response.body.trimEnd().split('\r\n');
    const columns = header!.split(',');
    expect(rows).toHaveLength(3);
    const cell = (row: number, column: string) => rows[row]!.split(',')[columns.indexOf(column)];
    expect(columns.slice(0, 4)).toEqual(['date', 'conversations', 'automated', 'automated_rate']);
    expect(columns).toContain('intent_billing.refund_request');
    expect(columns).toContain('intent_unclassified');
    expect(rows.map((_, index) => cell(index, 'date'))).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(cell(0, 'conversations')).toBe('4');
    expect(cell(1, 'automated_rate')).toBe('0.3333');
    expect(cell(2, 'escalated_approval_required')).toBe('3');
    expect(cell(0, 'csat_average')).toBe('3.67');
    expect(cell(1, 'connector_p95_ms')).toBe('900');
    expect(cell(1, 'connector_success_rate')).toBe('0');
    expect(cell(0, 'first_response_median_s')).toBe('240');
    expect(cell(1, 'approvals_pending')).toBe('1');
    expect(cell(2, 'intent_billing.refund_request')).toBe('2');
    for (const row of rows) expect(row.split(',')).toHaveLength(columns.length);
  });

  it('quotes CSV cells and defuses spreadsheet formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(null)).toBe('');
    expect(csvCell(0.25)).toBe('0.25');
  });
});

describe('the intent a conversation is counted under', () => {
  it('is the first intent a turn classified, stored with the turn’s outcome', async () => {
    const store = createConversationStore(api.database.pool);
    await api.database.pool.query(
      `INSERT INTO conversations (id, channel, created_at) VALUES ('c_intent', 'chat', '2026-04-01T10:00:00Z')`,
    );
    await store.recordTurnEnd('c_intent', 'open', { status: 'open', outcome: null, intent: null });
    await store.recordTurnEnd('c_intent', 'open', {
      status: 'open',
      outcome: 'answered',
      intent: 'kb.question',
    });
    await store.recordTurnEnd('c_intent', 'open', {
      status: 'resolved',
      outcome: 'resolved',
      intent: 'billing.refund_request',
    });
    const { rows } = await api.database.pool.query(
      `SELECT intent, outcome FROM conversations WHERE id = 'c_intent'`,
    );
    expect(rows[0]).toEqual({ intent: 'kb.question', outcome: 'resolved' });
    const april = await summary('from=2026-04-01&to=2026-04-01');
    expect(april.totals.intents).toEqual({ 'kb.question': 1 });
    expect(april.totals.automatedRate).toBe(1);
  });
});

describe('analytics filters and access', () => {
  it.each([
    ['no period', ''],
    ['from after to', 'from=2026-03-03&to=2026-03-01'],
    ['more than 366 days', 'from=2025-01-01&to=2026-01-02'],
    ['an impossible date', 'from=2026-02-30&to=2026-03-03'],
    ['a date with a time', 'from=2026-03-01T00:00:00Z&to=2026-03-03'],
    ['an unknown time zone', `${period}&tz=Mars/Olympus_Mons`],
    ['an injected time zone', `${period}&tz=${encodeURIComponent("UTC'; DROP TABLE conversations; --")}`],
    ['an unknown channel', `${period}&channel=sms`],
  ])('answers 400 for %s', async (_name, query) => {
    for (const path of ['summary', 'export.csv']) {
      const response = await asAdmin({ method: 'GET', url: `/api/admin/analytics/${path}?${query}` });
      expect(response.statusCode, `${path}?${query}: ${response.body}`).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    }
  });

  it('accepts a period of exactly 366 days', async () => {
    const result = await summary('from=2024-01-01&to=2024-12-31');
    expect(result.days).toHaveLength(366);
  });

  it('is for admins only', async () => {
    const anonymous = await api.app.inject({ method: 'GET', url: `/api/admin/analytics/summary?${period}` });
    expect(anonymous.statusCode).toBe(401);
    const agent = await loginAs(api.app, api.database.pool, 'agent');
    for (const path of ['summary', 'export.csv']) {
      const response = await api.app.inject({
        method: 'GET',
        url: `/api/admin/analytics/${path}?${period}`,
        headers: { cookie: agent.cookie },
      });
      expect(response.statusCode).toBe(403);
    }
  });
});
