import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handBackNotice } from '../../conversations/escalations.ts';
import { conversationChannel, type LiveEvent } from '../../conversations/live-events.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import { dataParts, parseUiStream } from '../../test/support/ui-stream.ts';

/**
 * Issue #21, first part, through the real routes: what is internal stays internal (an older console's
 * `note` included), approving and resolving are two steps, a hand-back tells the customer, a human's
 * reply in an email conversation is mailed once, and escalations carry a computed priority.
 */

const now = new Date('2026-11-20T09:00:00Z');
const internal = 'INTERNAL: customer is churning, finance says no';

/** An account whose last invoice was charged twice (`amountCents` each), and its one contact. */
function doubleCharged(n: number, amountCents: number): WorldInput {
  const account = `acc_${n}`;
  return {
    accounts: [{ id: account, name: `Company ${n}`, tier: 'pro', region: 'EU' }],
    contacts: [
      {
        id: `ct_${n}`,
        account,
        name: `Customer ${n}`,
        email: `customer${n}@company${n}.example`,
        timezone: 'Europe/Berlin',
      },
    ],
    subscriptions: [{ id: `sub_${n}`, account, plan: 'pro', status: 'active', period_end: '2026-11-30' }],
    invoices: [
      { id: `INV-${n}001`, account, amount_cents: amountCents, status: 'paid', issued_at: '2026-11-01' },
    ],
    payments: [1, 2].map((k) => ({
      id: `pay_${n}${k}`,
      invoice: `INV-${n}001`,
      amount_cents: amountCents,
      status: 'succeeded' as const,
      created_at: `2026-11-01T10:00:0${k}Z`,
    })),
  };
}

const legacyNote = 1;
const approved = 2;
const handedBack = 3;
const mailed = 4;
const world: WorldInput = (() => {
  const merged: Record<string, unknown[]> = {};
  for (const part of [
    doubleCharged(legacyNote, 49900),
    doubleCharged(approved, 49900),
    doubleCharged(handedBack, 49900),
    doubleCharged(mailed, 49900),
  ])
    for (const [key, rows] of Object.entries(part))
      merged[key] = [...(merged[key] ?? []), ...(rows as unknown[])];
  return merged as WorldInput;
})();

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

describe(`console hand-off on ${testDatabaseKind()}`, () => {
  let api: TestApi;
  let agent: Awaited<ReturnType<typeof loginAs>>;

  const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    api.app.inject({
      method,
      url,
      headers: {
        cookie: agent.cookie,
        ...(method === 'GET' ? {} : { 'x-csrf-token': agent.csrfToken }),
      },
      ...(payload === undefined ? {} : { payload }),
    });

  /** A signed-in customer who confirmed a refund above the limit: it waits for approval. */
  async function waitingForApproval(contact: number) {
    const identityToken = await api.context.identity.signDemoToken!(
      `customer${contact}@company${contact}.example`,
    );
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      payload: { identityToken },
    });
    expect(started.statusCode).toBe(201);
    const body = started.json() as {
      conversationId: string;
      accessToken: string;
      accessTokenTtlSeconds: number;
    };
    const headers = { authorization: `Bearer ${body.accessToken}` };
    const post = async (path: string, payload: Record<string, unknown>) => {
      const response = await api.app.inject({
        method: 'POST',
        url: `/api/conversations/${body.conversationId}${path}`,
        headers,
        payload,
      });
      expect(response.statusCode).toBe(200);
      return parseUiStream(response.body);
    };
    const asked = await post('/messages', { text: `I was charged twice for invoice INV-${contact}001` });
    const actionId = dataParts(asked, 'confirmation')[0]?.data?.actionId as string;
    const confirmed = await post('/confirmation', { decision: 'confirm', actionId });
    expect(dataParts(confirmed, 'escalation')[0]?.data).toMatchObject({ reason: 'approval_required' });
    const { rows } = await api.database.pool.query<{ id: string }>(
      `SELECT id FROM escalations WHERE conversation_id = $1`,
      [body.conversationId],
    );
    return {
      ...body,
      escalationId: rows[0]!.id,
      async view() {
        const response = await api.app.inject({ url: `/api/conversations/${body.conversationId}`, headers });
        expect(response.statusCode).toBe(200);
        return response.json() as { status: string; messages: Array<{ role: string; text: string }> };
      },
    };
  }

  const detailOf = async (escalationId: string) => {
    const response = await call('GET', `/api/console/escalations/${escalationId}`);
    expect(response.statusCode).toBe(200);
    return response.json();
  };

  const carriedOut = (messageId: string) =>
    waitFor(async () => {
      const { rows } = await api.database.pool.query('SELECT turn_status FROM messages WHERE id = $1', [
        messageId,
      ]);
      return rows[0]?.turn_status === 'done';
    });

  beforeAll(async () => {
    api = await createTestApi({
      seed: false,
      switchboard: { now: () => now },
      settings: { turnStreamTimeoutMs: 60_000 },
    });
    await loadWorld(api.database.pool, world);
    await api.context.switchboard.classifier?.warm();
    agent = await loginAs(api.app, api.database.pool, 'agent');
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it("keeps an older console's `note` internal: stored on the escalation, never shown to the customer", async () => {
    const chat = await waitingForApproval(legacyNote);
    // The start response says how long the page may keep the conversation's token.
    expect(chat.accessTokenTtlSeconds).toBe(30 * 24 * 60 * 60);
    const decision = await call('POST', `/api/console/conversations/${chat.conversationId}/approval`, {
      approved: false,
      note: internal,
    });
    expect(decision.statusCode).toBe(202);
    expect(decision.json().message.metadata).toMatchObject({ internalReason: internal });
    expect(decision.json().message.metadata).not.toHaveProperty('customerMessage');
    await carriedOut(decision.json().message.id);

    const seen = await chat.view();
    expect(JSON.stringify(seen)).not.toContain('churning');
    // Told plainly, and the conversation is the assistant's again: no banner promising a person.
    expect(seen.messages.at(-1)).toEqual({
      ...seen.messages.at(-1),
      role: 'agent',
      text: expect.stringMatching(
        /^Our team reviewed your request and couldn't approve refund \$499\.00.*so nothing has been changed\. If you have a question/,
      ),
    });
    expect(seen.status).toBe('resolved');
    const detail = await detailOf(chat.escalationId);
    expect(detail.escalation).toMatchObject({
      status: 'resolved',
      internalNote: internal,
      pendingAction: false,
    });
    // Still refused: a field that is neither the old nor the new ones.
    const unknown = await call('POST', `/api/console/conversations/${chat.conversationId}/approval`, {
      approved: true,
      comment: 'x',
    });
    expect(unknown.statusCode).toBe(400);
  }, 90_000);

  it('approving carries the action out and keeps the escalation for the human until they resolve', async () => {
    const chat = await waitingForApproval(approved);
    const queued = await detailOf(chat.escalationId);
    // $499 is above the $200 auto-refund limit: urgent.
    expect(queued.escalation).toMatchObject({ priority: 'urgent', pendingAction: true, decidedAt: null });
    // The suggestion before the decision promises an answer, not an outcome.
    expect(queued.packet.suggestedReply).not.toMatch(/approved/i);

    const decision = await call('POST', `/api/console/conversations/${chat.conversationId}/approval`, {
      approved: true,
      internalReason: internal,
    });
    expect(decision.statusCode).toBe(202);
    await carriedOut(decision.json().message.id);
    const afterDecision = await detailOf(chat.escalationId);
    expect(afterDecision.escalation).toMatchObject({
      status: 'claimed',
      conversationStatus: 'claimed',
      pendingAction: false,
      decidedAt: expect.any(String),
      internalNote: internal,
    });
    const waiting = await chat.view();
    expect(waiting.messages.at(-1)?.text).toMatch(/^Done — I've refunded \$499\.00/);
    expect(waiting.status).toBe('claimed');
    // Decided once: a second decision is refused, the human's note is not.
    const again = await call('POST', `/api/console/conversations/${chat.conversationId}/approval`, {
      approved: true,
    });
    expect(again.statusCode).toBe(409);
    const note = await call('POST', `/api/console/conversations/${chat.conversationId}/replies`, {
      text: 'Sorry again for the double charge — I have flagged your account so it does not happen again.',
    });
    expect(note.statusCode).toBe(201);
    expect((await chat.view()).messages.at(-1)).toMatchObject({ role: 'human' });

    const resolved = await call('POST', `/api/console/escalations/${chat.escalationId}/resolve`);
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({
      conversationStatus: 'resolved',
      escalation: { status: 'resolved' },
    });
    expect((await chat.view()).status).toBe('resolved');
    const { rows } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.invoice_id = $1`,
      [`INV-${approved}001`],
    );
    expect(rows[0].n).toBe(1);
  }, 90_000);

  it('a hand-back tells the customer the assistant continues, before the status change', async () => {
    const chat = await waitingForApproval(handedBack);
    const events: LiveEvent[] = [];
    const stop = await api.context.bus.subscribe(conversationChannel(chat.conversationId), (event) =>
      events.push(event),
    );
    const response = await call('POST', `/api/console/escalations/${chat.escalationId}/hand-back`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      conversationStatus: 'open',
      escalation: { status: 'handed_back' },
    });
    await waitFor(async () => events.some((event) => event.kind === 'status'));
    await stop();
    const noticeAt = events.findIndex(
      (event) => event.kind === 'message' && event.message.text === handBackNotice,
    );
    const statusAt = events.findIndex((event) => event.kind === 'status' && event.status === 'open');
    expect(noticeAt).toBeGreaterThanOrEqual(0);
    expect(statusAt).toBeGreaterThan(noticeAt);
    const seen = await chat.view();
    expect(seen.status).toBe('open');
    expect(seen.messages.at(-1)).toMatchObject({ role: 'agent', text: handBackNotice });
    // A chat conversation gets nothing by mail for it.
    const { rows } = await api.database.pool.query(
      `SELECT 1 FROM email_outbox WHERE conversation_id = $1 AND template = 'conversation_reply'`,
      [chat.conversationId],
    );
    expect(rows).toEqual([]);
  }, 90_000);

  it("mails a human's replies in an email conversation in its thread, one email per reply; says so when it cannot", async () => {
    const chat = await waitingForApproval(mailed);
    await api.database.pool.query(
      `UPDATE conversations SET channel = 'email', subject = 'Charged twice' WHERE id = $1`,
      [chat.conversationId],
    );
    const texts = ['I am looking at both charges now.', 'Found it: the second charge is being refunded.'];
    const ids: string[] = [];
    for (const text of texts) {
      const reply = await call('POST', `/api/console/conversations/${chat.conversationId}/replies`, { text });
      expect(reply.statusCode).toBe(201);
      ids.push(reply.json().message.id);
    }
    const { rows: mail } = await api.database.pool.query<{
      to_address: string;
      subject: string;
      text_body: string;
      idempotency_key: string;
    }>(
      `SELECT to_address, subject, text_body, idempotency_key FROM email_outbox
        WHERE conversation_id = $1 AND template = 'conversation_reply' ORDER BY created_at, id`,
      [chat.conversationId],
    );
    expect(mail).toHaveLength(2);
    expect(mail.map((row) => row.idempotency_key)).toEqual(
      ids.map((id) => `${chat.conversationId}:human:${id}`),
    );
    mail.forEach((row, index) => {
      expect(row.to_address).toBe(`customer${mailed}@company${mailed}.example`);
      expect(row.subject).toBe(`Re: Charged twice [#${chat.conversationId}]`);
      expect(row.text_body).toContain(texts[index]);
      expect(row.text_body).toContain(`${agent.human.name}, Lumen Cloud Support`);
    });

    // Nobody to write to: the reply stands, and the console is told it was not mailed.
    await api.database.pool.query(`UPDATE conversations SET contact_id = NULL WHERE id = $1`, [
      chat.conversationId,
    ]);
    const unmailed = await call('POST', `/api/console/conversations/${chat.conversationId}/replies`, {
      text: 'One more thing.',
    });
    expect(unmailed.statusCode).toBe(201);
    const { rows: notes } = await api.database.pool.query<{
      body: string;
      metadata: Record<string, unknown>;
    }>(
      `SELECT body, metadata FROM messages WHERE conversation_id = $1 AND metadata->>'kind' = 'mail_failed'`,
      [chat.conversationId],
    );
    expect(notes).toEqual([
      {
        body: 'This message was not emailed to the customer (the conversation has no known contact to write to).',
        metadata: { kind: 'mail_failed', messageId: unmailed.json().message.id },
      },
    ]);
    const { rows: total } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM email_outbox WHERE conversation_id = $1 AND template = 'conversation_reply'`,
      [chat.conversationId],
    );
    expect(total[0].n).toBe(2);
  }, 90_000);

  it('sorts the queue by urgency by default, by age on request, and refuses an unknown order', async () => {
    const urgency = await call('GET', '/api/console/escalations?status=open,claimed,resolved,handed_back');
    expect(urgency.statusCode).toBe(200);
    const rank = { urgent: 0, high: 1, normal: 2, low: 3 } as Record<string, number>;
    const ranks = urgency.json().escalations.map((item: { priority: string }) => rank[item.priority]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const newest = await call(
      'GET',
      '/api/console/escalations?status=open,claimed,resolved,handed_back&sort=newest',
    );
    const created = newest.json().escalations.map((item: { createdAt: string }) => item.createdAt);
    expect(created.length).toBeGreaterThan(1);
    expect(created).toEqual([...created].sort().reverse());
    expect((await call('GET', '/api/console/escalations?sort=loudest')).statusCode).toBe(400);
  });
});
