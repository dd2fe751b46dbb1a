import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billing } from '../../connectors/contracts.ts';
import type { CallerSession } from '../../connectors/core/definition.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Every admin route, with a request that passes validation. */
const routes: Array<{ method: Method; url: string; payload?: unknown }> = [
  { method: 'GET', url: '/api/admin/connectors' },
  { method: 'GET', url: '/api/admin/connectors/billing' },
  { method: 'POST', url: '/api/admin/connectors/billing/test' },
  { method: 'PUT', url: '/api/admin/connectors/crm/credentials', payload: { api_key: 'x' } },
  { method: 'GET', url: '/api/admin/connectors/billing/policy' },
  { method: 'PUT', url: '/api/admin/connectors/ticketing/policy', payload: {} },
  { method: 'DELETE', url: '/api/admin/connectors/ticketing/policy' },
  { method: 'GET', url: '/api/admin/backends' },
  { method: 'POST', url: '/api/admin/backends/billing/test', payload: { backend: 'builtin' } },
  { method: 'PUT', url: '/api/admin/backends/calendar', payload: { backend: 'builtin' } },
  { method: 'GET', url: '/api/admin/faults' },
  { method: 'POST', url: '/api/admin/faults', payload: { connector: 'billing', mode: 'error' } },
  { method: 'DELETE', url: '/api/admin/faults' },
  { method: 'GET', url: '/api/admin/knowledge/articles' },
  { method: 'POST', url: '/api/admin/knowledge/articles', payload: { slug: 'x', content: '# X\n\nText.' } },
  { method: 'GET', url: '/api/admin/knowledge/search?q=refund' },
  { method: 'GET', url: '/api/admin/audit' },
  { method: 'GET', url: '/api/admin/outbox' },
  { method: 'POST', url: '/api/admin/evals', payload: { suite: 'smoke' } },
  { method: 'GET', url: '/api/admin/evals' },
  { method: 'GET', url: '/api/admin/evals/evr_1' },
];

let api: TestApi;
let admin: Awaited<ReturnType<typeof loginAs>>;
let customer: CallerSession;

/** A request as the signed-in admin (with the CSRF token on writes). */
function asAdmin(options: InjectOptions) {
  return api.app.inject({
    ...options,
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
  });
}

/** Calls billing.get_subscription the way the agent does, for the verified demo customer. */
function billingCall() {
  return api.context.switchboard.gateway.call(customer, billing.getSubscription, {});
}

async function connectorHealth(id: string) {
  const response = await asAdmin({ method: 'GET', url: '/api/admin/connectors' });
  expect(response.statusCode).toBe(200);
  const connectors = response.json().connectors as Array<{ id: string; health: Record<string, unknown> }>;
  return connectors.find((connector) => connector.id === id)!.health;
}

beforeAll(async () => {
  api = await createTestApi();
  admin = await loginAs(api.app, api.database.pool, 'admin');
  const { rows } = await api.database.pool.query<{ contact_id: string; account_id: string; tier: string }>(
    `SELECT c.id AS contact_id, a.id AS account_id, a.tier FROM subscriptions s
     JOIN accounts a ON a.id = s.account_id JOIN contacts c ON c.account_id = a.id
     WHERE s.status = 'active' ORDER BY a.id, c.id LIMIT 1`,
  );
  const row = rows[0]!;
  customer = {
    conversationId: null,
    actor: 'agent',
    customer: { contactId: row.contact_id, accountId: row.account_id, verified: true, tier: row.tier },
  };
}, 120_000);

afterAll(async () => {
  await api?.close();
});

describe('admin access', () => {
  it('answers 401 on every admin route without a console session', async () => {
    for (const route of routes) {
      const response = await api.app.inject({
        method: route.method,
        url: route.url,
        payload: route.payload as object,
      });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
    }
  });

  it('answers 403 forbidden on every admin route to a human agent', async () => {
    const agent = await loginAs(api.app, api.database.pool, 'agent');
    for (const route of routes) {
      const response = await api.app.inject({
        method: route.method,
        url: route.url,
        payload: route.payload as object,
        headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrfToken },
      });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      expect(response.json().error.code).toBe('forbidden');
    }
  });

  it('refuses every admin write without the CSRF token', async () => {
    for (const route of routes.filter((candidate) => candidate.method !== 'GET')) {
      const response = await api.app.inject({
        method: route.method,
        url: route.url,
        payload: route.payload as object,
        headers: { cookie: admin.cookie },
      });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      expect(response.json().error.code).toBe('csrf_failed');
    }
  });
});

describe('admin OpenAPI', () => {
  it('documents every admin route under the admin tag', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const paths = response.json().paths as Record<string, Record<string, { tags?: string[] }>>;
    for (const route of routes) {
      const path = route.url
        .split('?')[0]!
        .replace(/\/backends\/(billing|calendar)(?=\/|$)/, '/backends/{kind}')
        .replace(/\/(billing|crm|ticketing)(?=\/|$)/, '/{id}')
        .replace('/evr_1', '/{id}');
      const operation = paths[path]?.[route.method.toLowerCase()];
      expect(operation?.tags, `${route.method} ${path}`).toEqual(['admin']);
    }
  });
});

describe('connector credentials', () => {
  it('stores credentials in the vault and never returns or logs their values', async () => {
    const secret = `sk_live_${randomUUID()}`;
    const put = await asAdmin({
      method: 'PUT',
      url: '/api/admin/connectors/crm/credentials',
      payload: { api_key: secret, account_subdomain: 'lumen' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.body).not.toContain(secret);
    expect(
      put
        .json()
        .fields.map((field: { field: string }) => field.field)
        .sort(),
    ).toEqual(['account_subdomain', 'api_key']);

    const detail = await asAdmin({ method: 'GET', url: '/api/admin/connectors/crm' });
    const list = await asAdmin({ method: 'GET', url: '/api/admin/connectors' });
    expect(detail.body).not.toContain(secret);
    expect(list.body).not.toContain(secret);
    expect(detail.json().credentials).toMatchObject({
      state: 'ok',
      fields: expect.arrayContaining([expect.objectContaining({ field: 'api_key', set: true })]),
    });
    expect(await api.context.vault.get('crm', 'api_key')).toBe(secret);

    const audit = await asAdmin({ method: 'GET', url: '/api/admin/audit?connector=crm&outcome=changed' });
    expect(audit.body).not.toContain(secret);
    expect(audit.json().entries[0]).toMatchObject({
      operation: 'admin.set_credentials',
      actor: 'human',
      detail: { actor_id: admin.human.id, fields: ['api_key', 'account_subdomain'] },
    });
  });

  it('removes a field given as null and rejects bad field names', async () => {
    const removed = await asAdmin({
      method: 'PUT',
      url: '/api/admin/connectors/crm/credentials',
      payload: { account_subdomain: null },
    });
    expect(removed.json().removed).toEqual(['account_subdomain']);
    expect(await api.context.vault.get('crm', 'account_subdomain')).toBeNull();

    const bad = await asAdmin({
      method: 'PUT',
      url: '/api/admin/connectors/crm/credentials',
      payload: { 'not a field': 'x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
    const unknown = await asAdmin({
      method: 'PUT',
      url: '/api/admin/connectors/nope/credentials',
      payload: { a: 'b' },
    });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('connector policy', () => {
  it('shows the default policy, stores a changed one with who changed it, and refuses invalid ones', async () => {
    const before = await asAdmin({ method: 'GET', url: '/api/admin/connectors/ticketing/policy' });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ connectorId: 'ticketing', source: 'default', updatedBy: null });

    const changed = {
      ...before.json().policy,
      actionLimits: [],
      segmentRules: [{ tiers: ['enterprise'], operations: ['create_ticket'], action: 'human_only' }],
    };
    const put = await asAdmin({
      method: 'PUT',
      url: '/api/admin/connectors/ticketing/policy',
      payload: changed,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ source: 'stored', updatedBy: admin.human.id });
    const after = await asAdmin({ method: 'GET', url: '/api/admin/connectors/ticketing/policy' });
    expect(after.json().policy.segmentRules).toEqual([
      { tiers: ['enterprise'], operations: ['create_ticket'], action: 'human_only' },
    ]);

    const badShape = await asAdmin({
      method: 'PUT',
      url: '/api/admin/connectors/ticketing/policy',
      payload: { segmentRules: [{ tiers: ['pro'], operations: ['create_ticket'], action: 'maybe' }] },
    });
    expect(badShape.statusCode).toBe(400);
    expect(badShape.json().error).toMatchObject({ code: 'validation_failed' });
    expect(badShape.json().error.message).toMatch(/segmentRules/);

    const unknownOperation = await asAdmin({
      method: 'PUT',
      url: '/api/admin/connectors/ticketing/policy',
      payload: { allowedOperations: ['launch_rockets'] },
    });
    expect(unknownOperation.statusCode).toBe(400);
    expect(unknownOperation.json().error.message).toMatch(/launch_rockets/);
    const unchanged = await asAdmin({ method: 'GET', url: '/api/admin/connectors/ticketing/policy' });
    expect(unchanged.json().policy).toEqual(after.json().policy);
  });
});

describe('connector health', () => {
  it('lists connectors with health computed from the audit log', async () => {
    for (let index = 0; index < 3; index++) expect((await billingCall()).status).toBe('ok');
    const health = await connectorHealth('billing');
    expect(health).toMatchObject({ status: 'ok', circuit: 'closed', successRate: 1, lastError: null });
    expect(health.calls).toBeGreaterThanOrEqual(3);
    expect(health.p95LatencyMs).toEqual(expect.any(Number));
    expect((health.latency as unknown[]).length).toBeGreaterThan(0);
    expect(await connectorHealth('calendar')).toMatchObject({ status: 'idle', calls: 0, successRate: null });

    const detail = await asAdmin({ method: 'GET', url: '/api/admin/connectors/billing' });
    expect(detail.statusCode).toBe(200);
    expect(detail.json().recentCalls.length).toBeGreaterThanOrEqual(3);
    expect(detail.json().operations.map((operation: { name: string }) => operation.name)).toContain(
      'get_subscription',
    );
  });

  it('counts calls made by another process (audit rows only) and shows their last error', async () => {
    await api.database.pool.query(
      `INSERT INTO audit_log (actor, connector_id, operation, effect, args_hash, outcome, error_kind, latency_ms, detail)
       SELECT 'agent', 'calendar', 'list_slots', 'read', 'h', o, k, 40, d::jsonb
       FROM (VALUES ('ok', NULL, '{}'), ('ok', NULL, '{}'), ('ok', NULL, '{}'),
                    ('error', 'transient', '{"error":"calendar backend 503"}'),
                    ('error', 'not_found', '{"error":"no such booking"}')) v(o, k, d)`,
    );
    const health = await connectorHealth('calendar');
    // The not_found answer is the system working; the transient one is the system failing.
    expect(health).toMatchObject({ status: 'degraded', calls: 5, failures: 1, successRate: 0.8 });
    expect(health.lastError).toMatchObject({ kind: 'transient', message: 'calendar backend 503' });
  });

  it('tests the connection', async () => {
    const response = await asAdmin({ method: 'POST', url: '/api/admin/connectors/billing/test' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, detail: expect.stringContaining('subscriptions') });
  });

  it('turns billing down when a billing outage is injected, and clears it', async () => {
    const bad = await asAdmin({
      method: 'POST',
      url: '/api/admin/faults',
      payload: { connector: 'nope', mode: 'error' },
    });
    expect(bad.statusCode).toBe(400);
    const armed = await asAdmin({
      method: 'POST',
      url: '/api/admin/faults',
      payload: { connector: 'billing', mode: 'error' },
    });
    expect(armed.statusCode).toBe(201);
    expect(armed.json().armed).toEqual([
      { connector: 'billing', operation: '*', mode: 'error', times: 100_000 },
    ]);

    for (let index = 0; index < 6; index++) {
      // get_subscription is cacheable: with billing down it answers from the cache, marked stale.
      const result = await billingCall();
      expect(result.status === 'error' || (result.status === 'ok' && result.stale)).toBe(true);
    }
    const health = await connectorHealth('billing');
    expect(health).toMatchObject({ status: 'down', circuit: 'open', lastError: { kind: 'transient' } });

    const stale = await asAdmin({ method: 'GET', url: '/api/admin/audit?connector=billing&outcome=stale' });
    expect(stale.json().entries.length).toBeGreaterThanOrEqual(6);
    expect(stale.json().entries[0].detail).toMatchObject({ error_kind: 'transient' });

    const cleared = await asAdmin({ method: 'DELETE', url: '/api/admin/faults' });
    expect(cleared.json()).toEqual({ armed: [] });
    expect(api.context.switchboard.faults.armed()).toEqual([]);
  });

  it('answers 404 not_available for faults where fault injection is off', async () => {
    api.context.settings.faultInjection = false;
    try {
      const response = await asAdmin({
        method: 'POST',
        url: '/api/admin/faults',
        payload: { connector: 'billing', mode: 'error' },
      });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('not_available');
    } finally {
      api.context.settings.faultInjection = true;
    }
  });
});

describe('knowledge', () => {
  it('lists the indexed articles and searches them with scores', async () => {
    const articles = await asAdmin({ method: 'GET', url: '/api/admin/knowledge/articles' });
    expect(articles.json().articles).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ slug: 'api-rate-limits', chunks: expect.any(Number) }),
      ]),
    );
    const search = await asAdmin({
      method: 'GET',
      url: '/api/admin/knowledge/search?q=API%20rate%20limit&limit=3',
    });
    expect(search.statusCode).toBe(200);
    const results = search.json().results as Array<{ slug: string; score: number; snippet: string }>;
    expect(results[0]).toMatchObject({ slug: 'api-rate-limits', snippet: expect.any(String) });
    expect(results[0]!.score).toBeGreaterThan(0);
    expect(results.length).toBeLessThanOrEqual(3);
  });

  it('ingests an article through the job queue, after which it is searchable', async () => {
    const content = [
      '---',
      'title: Carrier pigeon delivery',
      'visibility: public',
      '---',
      '# Carrier pigeon delivery',
      '',
      'Invoices can be delivered by carrier pigeon to offices with a rooftop loft. Pigeons fly on weekdays.',
    ].join('\n');
    const queued = await asAdmin({
      method: 'POST',
      url: '/api/admin/knowledge/articles',
      payload: { slug: 'carrier-pigeon-delivery', content },
    });
    expect(queued.statusCode).toBe(202);
    expect(queued.json()).toEqual({ queued: 1, slugs: ['carrier-pigeon-delivery'] });
    await (api.context.jobs as unknown as { drain(): Promise<void> }).drain();

    const search = await asAdmin({
      method: 'GET',
      url: '/api/admin/knowledge/search?q=carrier%20pigeon%20invoices',
    });
    expect(search.json().results[0]).toMatchObject({
      slug: 'carrier-pigeon-delivery',
      title: 'Carrier pigeon delivery',
    });
  });

  it('refuses bad documents at once, and takes bodies over the default limit (up to 5 MiB)', async () => {
    const badFrontMatter = await asAdmin({
      method: 'POST',
      url: '/api/admin/knowledge/articles',
      payload: { path: 'x.md', content: '---\nvisibility: secret\n---\n# X\n\nText.' },
    });
    expect(badFrontMatter.statusCode).toBe(400);
    expect(badFrontMatter.json().error.details[0]).toMatchObject({
      source: 'x.md',
      code: 'invalid_metadata',
    });

    // 300 KiB: over the server's 256 KiB default; refused for its duplicate slug, not for its size.
    const big = `# Big\n\n${'word '.repeat(30_000)}`;
    const duplicate = await asAdmin({
      method: 'POST',
      url: '/api/admin/knowledge/articles',
      payload: {
        articles: [
          { path: 'big.md', content: big, visibility: 'public' },
          { path: 'a/big.md', content: big, visibility: 'public' },
        ],
      },
    });
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.json().error.details[0]).toMatchObject({ code: 'duplicate_slug' });

    const tooLarge = await asAdmin({
      method: 'POST',
      url: '/api/admin/knowledge/articles',
      payload: { path: 'huge.md', content: 'x'.repeat(5 * 1024 * 1024 + 10), visibility: 'public' },
    });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.code).toBe('payload_too_large');
  });
});

describe('audit log and outbox', () => {
  it('pages the audit log newest first with a keyset cursor and filters by connector and outcome', async () => {
    await api.database.pool.query(
      `INSERT INTO audit_log (actor, connector_id, operation, effect, args_hash, outcome, error_kind, latency_ms)
       SELECT 'agent', 'paging', 'op_' || n, 'read', 'h', CASE WHEN n % 3 = 0 THEN 'error' ELSE 'ok' END,
              CASE WHEN n % 3 = 0 THEN 'transient' END, n
       FROM generate_series(1, 7) n`,
    );
    const first = await asAdmin({ method: 'GET', url: '/api/admin/audit?limit=3&connector=paging' });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.entries.map((entry: { operation: string }) => entry.operation)).toEqual([
      'op_7',
      'op_6',
      'op_5',
    ]);
    expect(page1.nextBefore).toBe(page1.entries[2].id);

    const operations: string[] = [];
    let before: string | null = null;
    do {
      const page = await asAdmin({
        method: 'GET',
        url: `/api/admin/audit?limit=3&connector=paging${before ? `&before=${before}` : ''}`,
      });
      operations.push(...page.json().entries.map((entry: { operation: string }) => entry.operation));
      before = page.json().nextBefore;
    } while (before);
    expect(operations).toEqual(['op_7', 'op_6', 'op_5', 'op_4', 'op_3', 'op_2', 'op_1']);

    const errors = await asAdmin({ method: 'GET', url: '/api/admin/audit?connector=paging&outcome=error' });
    expect(errors.json()).toMatchObject({
      entries: [
        { operation: 'op_6', outcome: 'error', errorKind: 'transient' },
        { operation: 'op_3', outcome: 'error', errorKind: 'transient' },
      ],
      nextBefore: null,
    });
    const bad = await asAdmin({ method: 'GET', url: '/api/admin/audit?before=abc' });
    expect(bad.statusCode).toBe(400);
  });

  it('lists the embedded outbox, and answers not_available in production mode', async () => {
    await api.database.pool.query(
      `INSERT INTO email_outbox (id, message_id, to_address, from_address, subject, text_body, status)
       VALUES ('out_admin_test', '<admin-test@switchboard>', 'maya@example.com', 'support@example.com',
               'Your verification code', 'Your code is 123456', 'queued')`,
    );
    const response = await asAdmin({ method: 'GET', url: '/api/admin/outbox?status=queued' });
    expect(response.statusCode).toBe(200);
    expect(response.json().messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'out_admin_test',
          to: 'maya@example.com',
          textBody: 'Your code is 123456',
        }),
      ]),
    );
    const sent = await asAdmin({ method: 'GET', url: '/api/admin/outbox?status=sent' });
    expect(sent.json().messages.some((message: { id: string }) => message.id === 'out_admin_test')).toBe(
      false,
    );

    api.context.settings.mode = 'production';
    try {
      const refused = await asAdmin({ method: 'GET', url: '/api/admin/outbox' });
      expect(refused.statusCode).toBe(404);
      expect(refused.json().error.code).toBe('not_available');
    } finally {
      api.context.settings.mode = 'embedded';
    }
  });
});

describe('eval runs', () => {
  it('refuses unknown suites and filters that match nothing', async () => {
    const unknown = await asAdmin({ method: 'POST', url: '/api/admin/evals', payload: { suite: 'nope' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toMatch(/no suite "nope"/);
    const nothing = await asAdmin({
      method: 'POST',
      url: '/api/admin/evals',
      payload: { suite: 'smoke', filter: 'no-such-scenario' },
    });
    expect(nothing.statusCode).toBe(400);
    const missing = await asAdmin({ method: 'GET', url: '/api/admin/evals/evr_missing' });
    expect(missing.statusCode).toBe(404);
  });

  it('starts a run as a job, lists it running, then shows its metrics and transcript', async () => {
    const started = await asAdmin({
      method: 'POST',
      url: '/api/admin/evals',
      // The quick suite brings a one-article help center: the run indexes one article, not sixty.
      payload: { suite: 'quick', filter: 'quick-kb-answer' },
    });
    expect(started.statusCode).toBe(202);
    const { runId } = started.json();
    expect(runId).toMatch(/^evr_/);

    const running = await asAdmin({ method: 'GET', url: '/api/admin/evals' });
    expect(running.json().runs[0]).toMatchObject({
      id: runId,
      suite: 'quick',
      status: 'running',
      agent: null,
    });

    await (api.context.jobs as unknown as { drain(): Promise<void> }).drain();
    const list = await asAdmin({ method: 'GET', url: '/api/admin/evals?suite=quick' });
    expect(list.json().runs[0]).toMatchObject({
      id: runId,
      status: 'finished',
      agent: {
        scenarios: 1,
        total: 1,
        resolutionRate: expect.any(Number),
        correctHandlingRate: expect.any(Number),
      },
    });
    const detail = await asAdmin({ method: 'GET', url: `/api/admin/evals/${runId}` });
    expect(detail.statusCode).toBe(200);
    const [result] = detail.json().results;
    expect(result).toMatchObject({ id: 'quick-kb-answer', expectedOutcome: 'answered' });
    expect(result.transcript.some((entry: { kind: string }) => entry.kind === 'customer')).toBe(true);
  }, 300_000);
});
