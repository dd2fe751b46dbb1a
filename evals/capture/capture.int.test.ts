import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalConfigSchema } from '../../config/eval.ts';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { runEvalJob } from '../../jobs/eval-run-job.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import { verifiedChat } from '../../test/support/verified-chat.ts';
import { listCapturedScenarios } from './store.ts';

/**
 * "Save as test" end to end on the server side: a real conversation through the chat API that ends
 * in an escalation, saved through the console API, then run by the `eval.run` job against the real
 * agent in its own environment — passing when the expected outcome is what happens, failing when
 * it is not.
 */
describe(`captured scenarios (${testDatabaseKind()})`, { timeout: 600_000 }, () => {
  let api: TestApi;
  let agent: { cookie: string; csrfToken: string };
  let admin: { cookie: string; csrfToken: string };
  let conversationId: string;
  const customer = demoCustomers.refundAboveLimit;

  beforeAll(async () => {
    api = await createTestApi();
    agent = await loginAs(api.app, api.database.pool, 'agent');
    admin = await loginAs(api.app, api.database.pool, 'admin');
    const send = await verifiedChat(api, customer.email);
    // The agent reads the invoices and proposes a refund; the customer asks for a person instead.
    const first = await send('Hi, I think I was charged twice this month.');
    const second = await send('I want to talk to a human please');
    // On a busy machine the reply stream may end before the turn does: wait for the escalation row.
    const escalated = async () =>
      (
        await api.database.pool.query<{ id: string }>(
          `SELECT c.id FROM conversations c JOIN escalations e ON e.conversation_id = c.id
            WHERE c.contact_id = $1 ORDER BY c.created_at DESC LIMIT 1`,
          [customer.contact],
        )
      ).rows[0]?.id;
    for (const deadline = Date.now() + 240_000; !(await escalated()); ) {
      if (Date.now() > deadline)
        throw new Error(`the conversation did not escalate: "${first.text}" / "${second.text}"`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    conversationId = (await escalated())!;
  }, 400_000);
  afterAll(async () => {
    await api?.close();
  });

  const save = (id: string, payload: Record<string, unknown>, who = agent) =>
    api.app.inject({
      method: 'POST',
      url: `/api/console/conversations/${id}/scenario`,
      headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken },
      payload,
    });

  const runCaptured = async (runId: string) => {
    const { createEvalEnvironment } = await import('../../app/eval-environment.ts');
    const config = evalConfigSchema.parse({});
    await runEvalJob(
      {
        pool: api.database.pool,
        createEnvironment: (options) => createEvalEnvironment({ ...options, config }),
      },
      { runId, suite: 'captured', baseline: null, filter: null },
    );
    const { rows } = await api.database.pool.query<{
      suite: string;
      results: Array<{ id: string; passed: boolean; failures: string[]; actualOutcome: string }>;
    }>(`SELECT suite, results FROM eval_runs WHERE id = $1`, [runId]);
    return rows[0]!;
  };

  it('refuses what it cannot save: no suite yet, unknown conversation, bad body, no session', async () => {
    const empty = await api.app.inject({
      method: 'POST',
      url: '/api/admin/evals',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
      payload: { suite: 'captured' },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('has no saved scenarios yet');
    expect((await save('conv_nope', { name: 'x', outcome: 'escalated' })).statusCode).toBe(404);
    const bad = await save(conversationId, { name: 'x', outcome: 'maybe' });
    expect(bad.statusCode).toBe(400);
    expect((await save(conversationId, { name: 'x', outcome: 'escalated', extra: 1 })).statusCode).toBe(400);
    const anonymous = await api.app.inject({
      method: 'POST',
      url: `/api/console/conversations/${conversationId}/scenario`,
      payload: { name: 'x', outcome: 'escalated' },
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('saves the escalation pseudonymised and minimal; the run passes when the agent still escalates', async () => {
    const preview = await save(conversationId, {
      name: 'Refund above the limit',
      outcome: 'escalated',
      preview: true,
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ saved: false, id: 'refund-above-the-limit' });
    expect(await listCapturedScenarios(api.database.pool)).toEqual([]);

    const saved = await save(conversationId, { name: 'Refund above the limit', outcome: 'escalated' });
    expect(saved.statusCode).toBe(201);
    expect(saved.json().yaml).toContain('outcome: escalated');
    expect((await save(conversationId, { name: 'Again', outcome: 'escalated' })).statusCode).toBe(409);

    const [stored] = await listCapturedScenarios(api.database.pool);
    const text = JSON.stringify(stored!.scenario);
    // The customer's own identity and every other demo customer are absent.
    expect(text).not.toContain(customer.email);
    expect(text).not.toContain(customer.contact);
    expect(text).not.toContain(customer.account);
    expect(text).not.toMatch(/Priya|Nair|quantaleap/i);
    for (const other of Object.values(demoCustomers).filter((item) => item !== customer)) {
      expect(text).not.toContain(other.email);
      expect(text).not.toContain(`"${other.account}"`);
    }
    expect(stored!.scenario.world.accounts).toHaveLength(1);
    expect(stored!.scenario.world.contacts).toHaveLength(1);
    expect(stored!.scenario.world.invoices.length).toBeGreaterThan(0);
    expect(stored!.scenario.customer.verified).toBe(true);

    const list = await api.app.inject({
      method: 'GET',
      url: '/api/admin/captured-scenarios',
      headers: { cookie: admin.cookie },
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().scenarios.map((item: { id: string }) => item.id)).toEqual(['refund-above-the-limit']);
    const byAgent = await api.app.inject({
      method: 'GET',
      url: '/api/admin/captured-scenarios',
      headers: { cookie: agent.cookie },
    });
    expect(byAgent.statusCode).toBe(403);

    const run = await runCaptured('evr_captured_pass');
    expect(run.suite).toBe('captured');
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ id: 'refund-above-the-limit', actualOutcome: 'escalated' });
    expect(run.results[0]!.failures).toEqual([]);
    expect(run.results[0]!.passed).toBe(true);
  }, 600_000);

  it('fails the run when the expected outcome is not what happens', async () => {
    const removed = await api.app.inject({
      method: 'DELETE',
      url: '/api/admin/captured-scenarios/refund-above-the-limit',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
    });
    expect(removed.statusCode).toBe(204);
    const again = await api.app.inject({
      method: 'DELETE',
      url: '/api/admin/captured-scenarios/refund-above-the-limit',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
    });
    expect(again.statusCode).toBe(404);
    const saved = await save(conversationId, { name: 'Wrongly expected resolved', outcome: 'resolved' });
    expect(saved.statusCode).toBe(201);
    const run = await runCaptured('evr_captured_fail');
    expect(run.results).toHaveLength(1);
    expect(run.results[0]!.passed).toBe(false);
    expect(run.results[0]!.actualOutcome).toBe('escalated');
    expect(run.results[0]!.failures.join('\n')).toMatch(/outcome/);
  }, 600_000);
});
