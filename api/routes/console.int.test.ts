import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { CustomerSession } from '../../agent/events.ts';
import { recordCsat } from '../../conversations/csat.ts';
import { consoleChannel, conversationChannel, type LiveEvent } from '../../conversations/live-events.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { send } from '../../test/support/agent-harness.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import type { queueResponseSchema } from '../contract/console.ts';

type QueueResponse = z.infer<typeof queueResponseSchema>;

const now = new Date('2026-11-20T09:00:00Z');

const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_3', name: 'QuantaLeap', tier: 'business', region: 'APAC' },
  ],
  contacts: [
    {
      id: 'ct_1',
      account: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      timezone: 'Europe/Berlin',
    },
    {
      id: 'ct_3',
      account: 'acc_3',
      name: 'Priya Nair',
      email: 'priya@quantaleap.io',
      timezone: 'Asia/Kolkata',
    },
  ],
  subscriptions: [
    { id: 'sub_1', account: 'acc_1', plan: 'pro', status: 'active', period_end: '2026-11-30' },
    { id: 'sub_3', account: 'acc_3', plan: 'business', status: 'active', period_end: '2026-11-30' },
  ],
  invoices: [
    { id: 'INV-1001', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-11-01' },
    { id: 'INV-3001', account: 'acc_3', amount_cents: 49900, status: 'paid', issued_at: '2026-11-01' },
  ],
  payments: [
    {
      id: 'pay_31',
      invoice: 'INV-3001',
      amount_cents: 49900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:00Z',
    },
    {
      id: 'pay_32',
      invoice: 'INV-3001',
      amount_cents: 49900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:05Z',
    },
  ],
  tickets: [
    {
      id: 'T-1',
      account: 'acc_1',
      contact: 'ct_1',
      subject: 'SSO setup',
      status: 'open',
      priority: 'normal',
      category: 'sso',
      created_at: '2026-11-10T10:00:00Z',
    },
    {
      id: 'T-3',
      account: 'acc_3',
      contact: 'ct_3',
      subject: 'Quota question',
      status: 'open',
      priority: 'low',
      category: 'api',
      created_at: '2026-11-11T10:00:00Z',
    },
  ],
};

let sequence = 0;

/** A conversation with an escalation, as the agent leaves them (the packet has the agent's shape). */
async function escalate(
  api: TestApi,
  options: {
    priority?: 'low' | 'normal' | 'high' | 'urgent';
    reason?: string;
    ageMinutes?: number;
    contact?: { id: string; account: string; name: string; email: string };
    conversationStatus?: string;
  } = {},
): Promise<{ conversationId: string; escalationId: string }> {
  sequence += 1;
  const conversationId = `conv_console_${sequence}`;
  const escalationId = `esc_console_${sequence}`;
  const contact = options.contact ?? {
    id: 'ct_1',
    account: 'acc_1',
    name: 'Maya Chen',
    email: 'maya@brightpath.io',
  };
  const reason = options.reason ?? 'customer_requested';
  const pool = api.database.pool;
  await pool.query(
    `INSERT INTO conversations (id, channel, contact_id, account_id, verified, verified_by, status, outcome)
     VALUES ($1, 'chat', $2, $3, true, 'token', $4, 'escalated')`,
    [conversationId, contact.id, contact.account, options.conversationStatus ?? 'escalated'],
  );
  await pool.query(
    `INSERT INTO messages (conversation_id, role, body, created_at) VALUES
       ($1, 'customer', 'I need a person please', now() - interval '2 minutes'),
       ($1, 'agent', 'Connecting you with a colleague.', now() - interval '1 minute')`,
    [conversationId],
  );
  const packet = {
    reason,
    identity: {
      contactId: contact.id,
      accountId: contact.account,
      name: contact.name,
      email: contact.email,
      verified: true,
      tier: 'pro',
    },
    intent: 'human_handoff',
    confidence: 0.91,
    slots: {},
    calls: [
      { connector: 'crm', operation: 'get_contact', status: 'ok', latencyMs: 12, at: now.toISOString() },
    ],
    pendingAction: null,
    summary: `Customer ${sequence} asked for a person`,
    suggestedReply: "Hi, I'm here — how can I help?",
    transcript: [{ role: 'customer', text: 'I need a person please', at: now.toISOString() }],
  };
  await pool.query(
    `INSERT INTO escalations (id, conversation_id, reason, priority, packet, created_at)
     VALUES ($1, $2, $3, $4, $5, now() - make_interval(mins => $6))`,
    [
      escalationId,
      conversationId,
      reason,
      options.priority ?? 'normal',
      JSON.stringify(packet),
      options.ageMinutes ?? 1,
    ],
  );
  return { conversationId, escalationId };
}

async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`console routes on ${testDatabaseKind()}`, () => {
  let api: TestApi;
  let agent: Awaited<ReturnType<typeof loginAs>>;
  let colleague: Awaited<ReturnType<typeof loginAs>>;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  const published: Array<{ channel: string; event: LiveEvent }> = [];

  const call = (
    session: { cookie: string; csrfToken: string },
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
  ) =>
    api.app.inject({
      method,
      url,
      headers: {
        cookie: session.cookie,
        ...(method === 'POST' ? { 'x-csrf-token': session.csrfToken } : {}),
      },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  beforeAll(async () => {
    api = await createTestApi({ seed: false, switchboard: { now: () => now } });
    await loadWorld(api.database.pool, world);
    agent = await loginAs(api.app, api.database.pool, 'agent');
    colleague = await loginAs(api.app, api.database.pool, 'agent');
    admin = await loginAs(api.app, api.database.pool, 'admin');
    await api.context.bus.subscribe(consoleChannel, (event) =>
      published.push({ channel: consoleChannel, event }),
    );
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  describe('GET /api/console/escalations', () => {
    it('needs a session', async () => {
      const response = await api.app.inject({ url: '/api/console/escalations' });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
    });

    it('lists open and claimed escalations by urgency, then by waiting time, and filters them', async () => {
      await api.database.pool.query(
        `UPDATE escalations SET status = 'resolved' WHERE status IN ('open','claimed')`,
      );
      const oldNormal = await escalate(api, { priority: 'normal', ageMinutes: 30 });
      const newUrgent = await escalate(api, {
        priority: 'urgent',
        ageMinutes: 2,
        reason: 'security_sensitive',
      });
      const newNormal = await escalate(api, { priority: 'normal', ageMinutes: 5 });
      const low = await escalate(api, { priority: 'low', ageMinutes: 90 });
      const oldUrgent = await escalate(api, { priority: 'urgent', ageMinutes: 10 });

      const queue = await call(agent, 'GET', '/api/console/escalations');
      expect(queue.statusCode).toBe(200);
      const items = (queue.json() as QueueResponse).escalations;
      expect(items.map((item) => item.id)).toEqual(
        [oldUrgent, newUrgent, oldNormal, newNormal, low].map((created) => created.escalationId),
      );
      const first = items[0]!;
      expect(first.waitingSeconds).toBeGreaterThanOrEqual(600);
      expect(first.waitingSeconds).toBeLessThan(700);
      expect(first.summary).toMatch(/asked for a person/);
      expect(first.customer).toMatchObject({
        contactId: 'ct_1',
        accountId: 'acc_1',
        name: 'Maya Chen',
        accountName: 'Brightpath',
        verified: true,
      });
      expect(first.claimedBy).toBeNull();

      const urgentOnly = await call(agent, 'GET', '/api/console/escalations?priority=urgent');
      expect(urgentOnly.json().escalations).toHaveLength(2);
      const security = await call(agent, 'GET', '/api/console/escalations?reason=security_sensitive');
      expect(security.json().escalations.map((item: { id: string }) => item.id)).toEqual([
        newUrgent.escalationId,
      ]);

      await call(agent, 'POST', `/api/console/escalations/${low.escalationId}/claim`);
      const mine = await call(agent, 'GET', '/api/console/escalations?mine=true');
      expect(mine.json().escalations.map((item: { id: string }) => item.id)).toEqual([low.escalationId]);
      expect(mine.json().escalations[0].claimedBy).toEqual({ id: agent.human.id, name: agent.human.name });
      const theirs = await call(colleague, 'GET', '/api/console/escalations?mine=true');
      expect(theirs.json().escalations).toEqual([]);
      const openOnly = await call(agent, 'GET', '/api/console/escalations?status=open');
      expect(openOnly.json().escalations).toHaveLength(4);
    });

    it('rejects an unknown status or priority as validation_failed', async () => {
      for (const query of ['status=open,bogus', 'priority=extreme', 'mine=maybe', 'limit=0']) {
        const response = await call(agent, 'GET', `/api/console/escalations?${query}`);
        expect(response.statusCode, query).toBe(400);
        expect(response.json().error.code).toBe('validation_failed');
      }
    });
  });

  describe('GET /api/console/escalations/:id', () => {
    it("returns the packet, the transcript oldest first and only the conversation's own account", async () => {
      const { escalationId, conversationId } = await escalate(api);
      const response = await call(agent, 'GET', `/api/console/escalations/${escalationId}`);
      expect(response.statusCode).toBe(200);
      const detail = response.json();
      expect(detail.escalation).toMatchObject({ id: escalationId, conversationId, status: 'open' });
      expect(detail.packet.calls[0]).toMatchObject({ connector: 'crm', status: 'ok', latencyMs: 12 });
      expect(detail.packet.suggestedReply).toMatch(/how can I help/);
      expect(detail.transcript.map((message: { role: string }) => message.role)).toEqual([
        'customer',
        'agent',
      ]);
      expect(detail.conversation).toMatchObject({ id: conversationId, channel: 'chat', verified: true });
      expect(detail.customer.contact).toMatchObject({ id: 'ct_1', email: 'maya@brightpath.io' });
      expect(detail.customer.account).toMatchObject({ id: 'acc_1', name: 'Brightpath', tier: 'pro' });
      expect(detail.customer.subscription).toMatchObject({
        id: 'sub_1',
        planId: 'pro',
        planName: 'Pro',
        periodEnd: '2026-11-30',
      });
      expect(detail.customer.invoices.map((invoice: { id: string }) => invoice.id)).toEqual(['INV-1001']);
      expect(detail.customer.invoices[0]).toMatchObject({ issuedAt: '2026-11-01', amountCents: 9900 });
      expect(detail.customer.tickets.map((ticket: { id: string }) => ticket.id)).toEqual(['T-1']);
    });

    it('is 404 for an unknown escalation', async () => {
      const response = await call(agent, 'GET', '/api/console/escalations/esc_nope');
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    });
  });

  describe('POST /api/console/escalations/:id/claim', () => {
    it('claims an open escalation, and refuses a colleague with 409', async () => {
      const { escalationId, conversationId } = await escalate(api);
      published.length = 0;
      const claimed = await call(agent, 'POST', `/api/console/escalations/${escalationId}/claim`);
      expect(claimed.statusCode).toBe(200);
      expect(claimed.json()).toEqual({
        escalation: { id: escalationId, status: 'claimed', conversationId },
        conversationStatus: 'claimed',
      });
      const { rows } = await api.database.pool.query(
        'SELECT claimed_by, claimed_at FROM escalations WHERE id = $1',
        [escalationId],
      );
      expect(rows[0].claimed_by).toBe(agent.human.id);
      expect(rows[0].claimed_at).not.toBeNull();
      expect(published.map((entry) => entry.event)).toContainEqual({
        kind: 'escalation',
        conversationId,
        escalationId,
        change: 'claimed',
      });

      const again = await call(agent, 'POST', `/api/console/escalations/${escalationId}/claim`);
      expect(again.statusCode).toBe(200);
      const conflict = await call(colleague, 'POST', `/api/console/escalations/${escalationId}/claim`);
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().error).toEqual({
        code: 'conflict',
        message: `Escalation ${escalationId} is claimed by ${agent.human.name}`,
      });
    });

    it('keeps a conversation that waits for approval waiting', async () => {
      const { escalationId, conversationId } = await escalate(api, {
        conversationStatus: 'waiting_approval',
      });
      const claimed = await call(agent, 'POST', `/api/console/escalations/${escalationId}/claim`);
      expect(claimed.json().conversationStatus).toBe('waiting_approval');
      const { rows } = await api.database.pool.query('SELECT status FROM conversations WHERE id = $1', [
        conversationId,
      ]);
      expect(rows[0].status).toBe('waiting_approval');
    });

    it('needs the CSRF token', async () => {
      const { escalationId } = await escalate(api);
      const response = await api.app.inject({
        method: 'POST',
        url: `/api/console/escalations/${escalationId}/claim`,
        headers: { cookie: agent.cookie },
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('csrf_failed');
    });
  });

  describe('POST /api/console/conversations/:id/replies', () => {
    it('stores the reply, claims the open escalation and publishes it to the customer and the console', async () => {
      const { escalationId, conversationId } = await escalate(api);
      const customerEvents: LiveEvent[] = [];
      const unsubscribe = await api.context.bus.subscribe(conversationChannel(conversationId), (event) =>
        customerEvents.push(event),
      );
      published.length = 0;
      const response = await call(agent, 'POST', `/api/console/conversations/${conversationId}/replies`, {
        text: '  Hi Maya, I am on it.  ',
      });
      await unsubscribe();
      expect(response.statusCode).toBe(201);
      const { message } = response.json();
      expect(message).toMatchObject({
        role: 'human',
        text: 'Hi Maya, I am on it.',
        metadata: { humanId: agent.human.id, humanName: agent.human.name },
      });
      const { rows } = await api.database.pool.query(
        `SELECT m.role, m.body, m.turn_status, e.status, e.claimed_by, c.status AS conversation_status
           FROM messages m JOIN escalations e ON e.conversation_id = m.conversation_id
           JOIN conversations c ON c.id = m.conversation_id WHERE m.id = $1`,
        [message.id],
      );
      expect(rows[0]).toEqual({
        role: 'human',
        body: 'Hi Maya, I am on it.',
        turn_status: null,
        status: 'claimed',
        claimed_by: agent.human.id,
        conversation_status: 'claimed',
      });
      const messageEvent = { kind: 'message', conversationId, message };
      expect(customerEvents).toContainEqual(messageEvent);
      expect(published.map((entry) => entry.event)).toContainEqual(messageEvent);
      expect(published.map((entry) => entry.event)).toContainEqual({
        kind: 'escalation',
        conversationId,
        escalationId,
        change: 'claimed',
      });
    });

    it("refuses a colleague's claimed conversation (409) but lets an admin step in", async () => {
      const { escalationId, conversationId } = await escalate(api);
      await call(agent, 'POST', `/api/console/escalations/${escalationId}/claim`);
      const refused = await call(colleague, 'POST', `/api/console/conversations/${conversationId}/replies`, {
        text: 'me too',
      });
      expect(refused.statusCode).toBe(409);
      const byAdmin = await call(admin, 'POST', `/api/console/conversations/${conversationId}/replies`, {
        text: 'Admin here.',
      });
      expect(byAdmin.statusCode).toBe(201);
    });

    it('rejects an empty reply, an unknown conversation and one without an escalation', async () => {
      const { conversationId, escalationId } = await escalate(api);
      const empty = await call(agent, 'POST', `/api/console/conversations/${conversationId}/replies`, {
        text: '   ',
      });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().error.code).toBe('validation_failed');
      const unknown = await call(agent, 'POST', '/api/console/conversations/conv_nope/replies', {
        text: 'hello',
      });
      expect(unknown.statusCode).toBe(404);
      await call(agent, 'POST', `/api/console/escalations/${escalationId}/resolve`);
      const closed = await call(agent, 'POST', `/api/console/conversations/${conversationId}/replies`, {
        text: 'hello again',
      });
      expect(closed.statusCode).toBe(409);
    });
  });

  describe('POST /api/console/escalations/:id/resolve', () => {
    it('resolves the escalation and the conversation, keeping the outcome escalated; twice is 409', async () => {
      const { escalationId, conversationId } = await escalate(api);
      const resolved = await call(agent, 'POST', `/api/console/escalations/${escalationId}/resolve`);
      expect(resolved.statusCode).toBe(200);
      expect(resolved.json()).toEqual({
        escalation: { id: escalationId, status: 'resolved', conversationId },
        conversationStatus: 'resolved',
      });
      const { rows } = await api.database.pool.query(
        `SELECT e.status, e.resolved_at, c.status AS conversation_status, c.outcome
           FROM escalations e JOIN conversations c ON c.id = e.conversation_id WHERE e.id = $1`,
        [escalationId],
      );
      expect(rows[0]).toMatchObject({
        status: 'resolved',
        conversation_status: 'resolved',
        outcome: 'escalated',
      });
      expect(rows[0].resolved_at).not.toBeNull();
      const twice = await call(agent, 'POST', `/api/console/escalations/${escalationId}/resolve`);
      expect(twice.statusCode).toBe(409);

      // Resolved by a person, the conversation can be rated; the console shows the rating.
      const before = await call(agent, 'GET', `/api/console/escalations/${escalationId}`);
      expect(before.json().conversation.csat).toBeNull();
      await recordCsat(api.database.pool, conversationId, { rating: 2, comment: 'Slow to answer' }, 'chat');
      const after = await call(agent, 'GET', `/api/console/escalations/${escalationId}`);
      expect(after.json().conversation.csat).toEqual({
        rating: 2,
        comment: 'Slow to answer',
        channel: 'chat',
        createdAt: expect.any(String),
      });
    });

    it('refuses while an action waits for approval', async () => {
      const { escalationId } = await escalate(api, { conversationStatus: 'waiting_approval' });
      const response = await call(agent, 'POST', `/api/console/escalations/${escalationId}/resolve`);
      expect(response.statusCode).toBe(409);
    });

    it('refuses, as does a hand-back, while a decision on the pending action is being carried out', async () => {
      const { escalationId, conversationId } = await escalate(api);
      // A decision whose turn has not run yet (as the approval route stores it).
      await api.database.pool.query(
        `INSERT INTO messages (conversation_id, role, body, metadata, turn_status)
         VALUES ($1, 'system', 'Retry approved by someone.', '{"kind":"approval","approved":true}', 'running')`,
        [conversationId],
      );
      for (const action of ['resolve', 'hand-back']) {
        const response = await call(agent, 'POST', `/api/console/escalations/${escalationId}/${action}`);
        expect(response.statusCode, action).toBe(409);
        expect(response.json().error.message).toBe('A decision on this action is already being carried out');
      }
    });
  });

  describe('POST /api/console/conversations/:id/approval', () => {
    it('is 409 when nothing waits for approval, and 400 without a decision', async () => {
      const { conversationId } = await escalate(api);
      const conflict = await call(agent, 'POST', `/api/console/conversations/${conversationId}/approval`, {
        approved: true,
      });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().error.code).toBe('conflict');
      const invalid = await call(agent, 'POST', `/api/console/conversations/${conversationId}/approval`, {
        approved: 'yes',
      });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error.code).toBe('validation_failed');
    });

    it('resumes the paused agent: a refund above the limit is made once after approval', async () => {
      const conversationId = 'conv_console_refund';
      const priya: CustomerSession = {
        contactId: 'ct_3',
        verified: true,
        channel: 'chat',
        verifiedBy: 'token',
      };
      await send(api.context.switchboard, conversationId, 'I was charged twice for invoice INV-3001', priya);
      await send(api.context.switchboard, conversationId, 'yes', priya);
      const { rows: escalations } = await api.database.pool.query(
        `SELECT e.id, e.reason, c.status FROM escalations e JOIN conversations c ON c.id = e.conversation_id
          WHERE e.conversation_id = $1`,
        [conversationId],
      );
      expect(escalations[0]).toMatchObject({ reason: 'approval_required', status: 'waiting_approval' });
      const refundsOf = async () =>
        (
          await api.database.pool.query(
            `SELECT count(*)::int AS count FROM refunds WHERE payment_id = 'pay_32' AND amount_cents = 49900`,
          )
        ).rows[0].count;
      expect(await refundsOf()).toBe(0);

      const detail = await call(agent, 'GET', `/api/console/escalations/${escalations[0].id}`);
      expect(detail.json().packet.pendingAction).toMatchObject({
        operation: 'refund_payment',
        input: { payment_id: 'pay_32' },
      });
      expect(detail.json().escalation.pendingAction).toBe(true);

      const decided = await call(agent, 'POST', `/api/console/conversations/${conversationId}/approval`, {
        approved: true,
        internalReason: 'duplicate confirmed',
      });
      expect(decided.statusCode).toBe(202);
      // The internal reason is kept in the decision's metadata only, not in its text.
      expect(decided.json().message).toMatchObject({
        role: 'system',
        text: `Approved by ${agent.human.name}.`,
        metadata: {
          kind: 'approval',
          approved: true,
          retry: false,
          decidedBy: agent.human.id,
          internalReason: 'duplicate confirmed',
          actionKey: detail.json().packet.pendingAction.idempotencyKey,
        },
      });
      // A second click while the first decision is carried out is refused.
      const doubled = await call(agent, 'POST', `/api/console/conversations/${conversationId}/approval`, {
        approved: true,
      });
      expect(doubled.statusCode).toBe(409);

      await waitFor(async () => {
        const { rows } = await api.database.pool.query('SELECT turn_status FROM messages WHERE id = $1', [
          decided.json().message.id,
        ]);
        return rows[0].turn_status === 'done';
      });
      expect(await refundsOf()).toBe(1);
      // Approving and resolving are two steps (docs/product.md, issue #21): the escalation stays with
      // the human who decided, its action no longer pending, until they press Resolve.
      const { rows: after } = await api.database.pool.query(
        `SELECT c.status, e.status AS escalation, e.decided_at IS NOT NULL AS decided
           FROM conversations c JOIN escalations e ON e.id = $2 WHERE c.id = $1`,
        [conversationId, escalations[0].id],
      );
      expect(after[0]).toEqual({ status: 'claimed', escalation: 'claimed', decided: true });
      const resolved = await call(agent, 'POST', `/api/console/escalations/${escalations[0].id}/resolve`, {});
      expect(resolved.statusCode).toBe(200);
      const { rows: closed } = await api.database.pool.query(
        'SELECT status FROM conversations WHERE id = $1',
        [conversationId],
      );
      expect(closed[0].status).toBe('resolved');
      expect(await refundsOf()).toBe(1);
    }, 60_000);
  });

  describe('POST /api/console/escalations/:id/hand-back', () => {
    it('hands an escalated conversation back to the agent', async () => {
      const conversationId = 'conv_console_handback';
      const maya: CustomerSession = {
        contactId: 'ct_1',
        verified: true,
        channel: 'chat',
        verifiedBy: 'token',
      };
      await send(api.context.switchboard, conversationId, 'I want to talk to a human please', maya);
      const { rows } = await api.database.pool.query(
        `SELECT id FROM escalations WHERE conversation_id = $1 AND status = 'open'`,
        [conversationId],
      );
      expect(rows).toHaveLength(1);
      published.length = 0;
      const response = await call(agent, 'POST', `/api/console/escalations/${rows[0].id}/hand-back`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        escalation: { id: rows[0].id, status: 'handed_back', conversationId },
        conversationStatus: 'open',
      });
      const after = await api.database.pool.query(
        `SELECT e.status, c.status AS conversation_status FROM escalations e JOIN conversations c ON c.id = e.conversation_id
          WHERE e.id = $1`,
        [rows[0].id],
      );
      expect(after.rows[0]).toEqual({ status: 'handed_back', conversation_status: 'open' });
      expect(published.map((entry) => entry.event)).toContainEqual({
        kind: 'escalation',
        conversationId,
        escalationId: rows[0].id,
        change: 'handed_back',
      });
      const again = await call(agent, 'POST', `/api/console/escalations/${rows[0].id}/hand-back`);
      expect(again.statusCode).toBe(409);
    }, 60_000);
  });

  describe('GET /api/console/events', () => {
    it('needs a session', async () => {
      const response = await api.app.inject({ url: '/api/console/events' });
      expect(response.statusCode).toBe(401);
    });

    it('streams console events as server-sent events', async () => {
      await api.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = api.app.server.address() as AddressInfo;
      const { escalationId, conversationId } = await escalate(api);
      const received = await new Promise<{ headers: http.IncomingHttpHeaders; text: string }>(
        (resolve, reject) => {
          const request = http.get(
            { host: '127.0.0.1', port, path: '/api/console/events', headers: { cookie: agent.cookie } },
            (response) => {
              let text = '';
              response.setEncoding('utf8');
              response.on('data', (chunk: string) => {
                text += chunk;
                // Connected: make a change another human would see.
                if (text.includes(': connected') && !text.includes('event: escalation')) {
                  void call(colleague, 'POST', `/api/console/escalations/${escalationId}/claim`);
                }
                if (text.includes('event: escalation')) {
                  request.destroy();
                  resolve({ headers: response.headers, text });
                }
              });
            },
          );
          request.on('error', reject);
          setTimeout(() => reject(new Error('no event within 10 s')), 10_000).unref();
        },
      );
      expect(received.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(received.headers['cache-control']).toMatch(/no-cache/);
      expect(received.headers['x-accel-buffering']).toBe('no');
      const data = received.text.split('event: escalation\ndata: ')[1]!.split('\n')[0]!;
      expect(JSON.parse(data)).toEqual({
        kind: 'escalation',
        conversationId,
        escalationId,
        change: 'claimed',
      });
    });
  });

  it('documents the console routes in the OpenAPI document', async () => {
    const response = await api.app.inject({ url: '/docs/json' });
    const paths = response.json().paths as Record<string, Record<string, { tags?: string[] }>>;
    expect(paths['/api/console/escalations']?.get?.tags).toEqual(['console']);
    expect(paths['/api/console/conversations/{id}/approval']?.post).toBeDefined();
  });
});
