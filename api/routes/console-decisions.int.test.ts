import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationChannel, type LiveEvent } from '../../conversations/live-events.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import { dataParts, parseUiStream, streamedText } from '../../test/support/ui-stream.ts';

/**
 * Decisions on a pending action from the console (`POST /api/console/conversations/:id/approval`):
 * a connector_failure escalation finished once the outage is over, exactly once; and the internal
 * reason of a decision never reaching the customer (security issue #14, findings 2 and 7).
 */

const now = new Date('2026-11-20T09:00:00Z');
const internalReason = 'INTERNAL: customer is churning, finance says no';

/** An account whose last invoice was charged twice (`amount` each), and its one contact. */
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
    payments: [
      {
        id: `pay_${n}1`,
        invoice: `INV-${n}001`,
        amount_cents: amountCents,
        status: 'succeeded',
        created_at: '2026-11-01T10:00:00Z',
      },
      {
        id: `pay_${n}2`,
        invoice: `INV-${n}001`,
        amount_cents: amountCents,
        status: 'succeeded',
        created_at: '2026-11-01T10:00:07Z',
      },
    ],
  };
}

function merge(...parts: WorldInput[]): WorldInput {
  const world: Record<string, unknown[]> = {};
  for (const part of parts)
    for (const [key, rows] of Object.entries(part))
      world[key] = [...(world[key] ?? []), ...(rows as unknown[])];
  return world as WorldInput;
}

// Under the $200 auto-refund limit: refunded at once unless billing fails.
const retried = 2;
const restarted = 3;
const dropped = 4;
// Above the limit: the refund waits for a human's approval.
const denied = 5;
const mailed = 6;
const approvedThenFailed = 7;
// Under the limit again: a decision naming another action than the pending one.
const mismatched = 8;
const world = merge(
  doubleCharged(retried, 9900),
  doubleCharged(restarted, 9900),
  doubleCharged(dropped, 9900),
  doubleCharged(denied, 49900),
  doubleCharged(mailed, 49900),
  doubleCharged(approvedThenFailed, 49900),
  doubleCharged(mismatched, 9900),
);

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

describe(`decisions on a pending action on ${testDatabaseKind()}`, () => {
  let api: TestApi;
  let agent: Awaited<ReturnType<typeof loginAs>>;
  let admin: Awaited<ReturnType<typeof loginAs>>;

  const consoleCall = (
    session: { cookie: string; csrfToken: string },
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: unknown,
    on: TestApi = api,
  ) =>
    on.app.inject({
      method,
      url,
      headers: {
        cookie: session.cookie,
        ...(method === 'GET' ? {} : { 'x-csrf-token': session.csrfToken }),
      },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  const decide = (conversationId: string, body: Record<string, unknown>, who = agent, on: TestApi = api) =>
    consoleCall(who, 'POST', `/api/console/conversations/${conversationId}/approval`, body, on);

  /** A signed-in customer's chat (the customer API, as the widget uses it). */
  async function startChat(contact: number) {
    const identityToken = await api.context.identity.signDemoToken!(
      `customer${contact}@company${contact}.example`,
    );
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      payload: { identityToken },
    });
    expect(started.statusCode).toBe(201);
    const { conversationId, accessToken } = started.json() as { conversationId: string; accessToken: string };
    const headers = { authorization: `Bearer ${accessToken}` };
    const post = async (path: string, payload: Record<string, unknown>) => {
      const response = await api.app.inject({
        method: 'POST',
        url: `/api/conversations/${conversationId}${path}`,
        headers,
        payload,
      });
      expect(response.statusCode).toBe(200);
      return parseUiStream(response.body);
    };
    return {
      conversationId,
      accessToken,
      say: (text: string) => post('/messages', { text }),
      confirm: (actionId: string) => post('/confirmation', { decision: 'confirm', actionId }),
      /** What the customer's page shows: `GET /api/conversations/:id`. */
      async view() {
        const response = await api.app.inject({ url: `/api/conversations/${conversationId}`, headers });
        expect(response.statusCode).toBe(200);
        return response.json() as { status: string; messages: Array<{ role: string; text: string }> };
      },
    };
  }

  /** A chat that reached the refund's confirmation and confirmed it. */
  async function confirmRefund(contact: number) {
    const chat = await startChat(contact);
    const asked = await chat.say(`I was charged twice for invoice INV-${contact}001`);
    expect(dataParts(asked, 'confirmation')).toHaveLength(1);
    const actionId = dataParts(asked, 'confirmation')[0]?.data?.actionId as string;
    return { chat, confirmed: await chat.confirm(actionId) };
  }

  const liveEscalation = async (conversationId: string) =>
    (
      await api.database.pool.query<{
        id: string;
        reason: string;
        status: string;
        packet: Record<string, unknown>;
      }>(
        `SELECT id, reason, status, packet FROM escalations WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 1`,
        [conversationId],
      )
    ).rows[0]!;

  const refundsOf = async (contact: number) =>
    (
      await api.database.pool.query<{ payment_id: string; amount_cents: number }>(
        `SELECT r.payment_id, r.amount_cents FROM refunds r JOIN payments p ON p.id = r.payment_id
           JOIN invoices i ON i.id = p.invoice_id WHERE i.account_id = $1`,
        [`acc_${contact}`],
      )
    ).rows;

  const outboxOf = async (conversationId: string) =>
    (
      await api.database.pool.query<{
        template: string;
        to_address: string;
        subject: string;
        text_body: string;
        html_body: string | null;
      }>(
        `SELECT template, to_address, subject, text_body, html_body FROM email_outbox WHERE conversation_id = $1 ORDER BY created_at`,
        [conversationId],
      )
    ).rows;

  /** Waits until the decision's turn is done (the agent carried it out). */
  const carriedOut = (decision: { json(): { message: { id: string } } }, on: TestApi = api) =>
    waitFor(async () => {
      const { rows } = await on.database.pool.query('SELECT turn_status FROM messages WHERE id = $1', [
        decision.json().message.id,
      ]);
      return rows[0]?.turn_status === 'done';
    });

  /** Everything published on the conversation's channel: what the customer's streams are made of. */
  async function recordCustomerChannel(conversationId: string) {
    const events: LiveEvent[] = [];
    const stop = await api.context.bus.subscribe(conversationChannel(conversationId), (event) =>
      events.push(event),
    );
    return { events, stop };
  }

  /** The customer's own server-sent event stream (`GET /api/conversations/:id/events`), as raw text. */
  async function openCustomerEvents(conversationId: string, accessToken: string) {
    if (!api.app.server.listening) await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as AddressInfo;
    let text = '';
    const stream = { close: () => {}, text: () => text };
    const connected = new Promise<void>((resolve, reject) => {
      const request = http.get(
        {
          host: '127.0.0.1',
          port,
          path: `/api/conversations/${conversationId}/events?access_token=${encodeURIComponent(accessToken)}`,
        },
        (response) => {
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
            if (text.includes('event: status')) resolve();
          });
        },
      );
      request.on('error', reject);
      stream.close = () => request.destroy();
    });
    await connected;
    return stream;
  }

  beforeAll(async () => {
    // The customer's turns stream through the API: on a busy machine a cold intent model or a slow
    // turn must not end a stream early (`processing`) in the middle of a conversation.
    api = await createTestApi({
      seed: false,
      switchboard: { now: () => now },
      settings: { turnStreamTimeoutMs: 60_000 },
    });
    await loadWorld(api.database.pool, world);
    await api.context.switchboard.classifier?.warm();
    agent = await loginAs(api.app, api.database.pool, 'agent');
    admin = await loginAs(api.app, api.database.pool, 'admin');
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('refuses unknown fields with a 400 naming the ones a decision takes (the former `note` is accepted as internal: console-handoff.int.test.ts)', async () => {
    const chat = await startChat(retried);
    for (const body of [{ approved: true, comment: 'x' }]) {
      const response = await decide(chat.conversationId, body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
      expect(response.json().error.message).toMatch(/internalReason.*customerMessage/);
    }
    const empty = await decide(chat.conversationId, { approved: true, customerMessage: '   ' });
    expect(empty.statusCode).toBe(400);
  });

  it("shows the customer's transcript in order past message id 9", async () => {
    const chat = await startChat(retried);
    // The next ids cross a power of ten (…98, 99, 100…): text order would put '100' first.
    const { rows } = await api.database.pool.query<{ last: string }>(
      `SELECT last_value::text AS last FROM messages_id_seq`,
    );
    const last = Number(rows[0]!.last);
    let below = 10 ** String(last).length - 4;
    if (below < last) below = 10 ** (String(last).length + 1) - 4;
    await api.database.pool.query(`SELECT setval('messages_id_seq', $1)`, [below]);
    const texts = Array.from({ length: 12 }, (_, index) => `line ${index + 1}`);
    for (const text of texts)
      await api.database.pool.query(
        `INSERT INTO messages (conversation_id, role, body) VALUES ($1, 'human', $2)`,
        [chat.conversationId, text],
      );
    expect((await chat.view()).messages.map((message) => message.text)).toEqual(texts);
  });

  it('finishes a connector_failure escalation from the console after the outage ends: one write, one reply, one email', async () => {
    // Billing's refunds fail while the customer confirms: the agent hands the pending refund over.
    api.context.switchboard.faults.arm({
      connector: 'billing',
      operation: 'refund_payment',
      mode: 'error',
      times: 1_000,
    });
    const { chat, confirmed } = await confirmRefund(retried);
    expect(dataParts(confirmed, 'escalation')[0]?.data).toMatchObject({ reason: 'connector_failure' });
    // The customer is promised only what the console can do: a retry once billing is back.
    const handOver = streamedText(confirmed);
    expect(handOver).toMatch(/nothing has been changed yet/);
    expect(handOver).toMatch(/retry it as soon as the system is back/);
    expect(handOver).not.toMatch(/one click/);
    const escalation = await liveEscalation(chat.conversationId);
    expect(escalation).toMatchObject({ reason: 'connector_failure', status: 'open' });
    expect(escalation.packet.pendingAction).toMatchObject({
      connector: 'billing',
      operation: 'refund_payment',
      input: { payment_id: `pay_${retried}2` },
    });
    const detail = await consoleCall(agent, 'GET', `/api/console/escalations/${escalation.id}`);
    expect(detail.json().escalation).toMatchObject({ pendingAction: true, conversationStatus: 'escalated' });
    const seenBefore = (await chat.view()).messages.length;

    // Retried while billing is still down: nothing is done, the customer is told nothing, the console
    // gets the reason, and the escalation stays open and finishable.
    const early = await decide(chat.conversationId, {
      approved: true,
      internalReason,
      customerMessage: 'Your refund is on its way.',
    });
    expect(early.statusCode).toBe(202);
    expect(early.json().message).toMatchObject({
      role: 'system',
      text: `Retry approved by ${agent.human.name}.`,
      metadata: { kind: 'approval', approved: true, retry: true, internalReason },
    });
    await carriedOut(early);
    expect(await refundsOf(retried)).toEqual([]);
    expect(await liveEscalation(chat.conversationId)).toMatchObject({ id: escalation.id, status: 'claimed' });
    expect((await chat.view()).messages).toHaveLength(seenBefore);
    const afterEarly = (await consoleCall(agent, 'GET', `/api/console/escalations/${escalation.id}`)).json();
    const failureNote = afterEarly.transcript.at(-1);
    expect(failureNote).toMatchObject({ role: 'system', metadata: { kind: 'decision_failed' } });
    expect(failureNote.text).toMatch(/^Retry failed: billing\.refund_payment did not complete \(/);
    expect(failureNote.text).toMatch(/still pending — retry it once billing is back/);
    expect(afterEarly.escalation.pendingAction).toBe(true);

    // The outage ends. Two clicks (or two humans) at once: one retry, one 409.
    const cleared = await consoleCall(admin, 'DELETE', '/api/admin/faults');
    expect(cleared.statusCode).toBe(200);
    const channel = await recordCustomerChannel(chat.conversationId);
    const retry = { approved: true, internalReason, customerMessage: 'Sorry for the wait!' };
    const clicks = await Promise.all([
      decide(chat.conversationId, retry),
      decide(chat.conversationId, retry, admin),
    ]);
    expect(clicks.map((click) => click.statusCode).sort()).toEqual([202, 409]);
    const accepted = clicks.find((click) => click.statusCode === 202)!;
    await carriedOut(accepted);
    const outcome = (await consoleCall(agent, 'GET', `/api/console/escalations/${escalation.id}`))
      .json()
      .transcript.findLast((message: { role: string }) => message.role === 'system');
    expect(outcome.metadata.kind, outcome.text).toBe('approval');
    await waitFor(async () =>
      channel.events.some((event) => event.kind === 'message' && event.message.role === 'agent'),
    );
    await channel.stop();

    expect(await refundsOf(retried)).toEqual([{ payment_id: `pay_${retried}2`, amount_cents: 9900 }]);
    const seen = await chat.view();
    const added = seen.messages.slice(seenBefore);
    expect(added.map((message) => message.role)).toEqual(['agent', 'agent']);
    expect(added[0]!.text).toMatch(
      /^Done — I've refunded \$99\.00 for the duplicate charge on invoice INV-2001/,
    );
    expect(added[1]!.text).toBe('A message from our support team: Sorry for the wait!');
    // Approving and resolving are two steps: the human who decided keeps the conversation.
    expect(seen.status).toBe('claimed');
    // The customer message withheld from the failed retry was never sent.
    expect(JSON.stringify(seen)).not.toContain('Your refund is on its way');
    const mail = await outboxOf(chat.conversationId);
    expect(mail.map((row) => [row.template, row.to_address])).toEqual([
      ['refund_issued', `customer${retried}@company${retried}.example`],
    ]);
    expect(await liveEscalation(chat.conversationId)).toMatchObject({
      id: escalation.id,
      status: 'claimed',
    });
    for (const visible of [JSON.stringify(seen), JSON.stringify(channel.events), JSON.stringify(mail)])
      expect(visible).not.toContain(internalReason);

    // Exactly once: finished, there is nothing left to decide.
    const late = await decide(chat.conversationId, { approved: true });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toMatch(/^Nothing waits for a decision/);
    expect(await refundsOf(retried)).toHaveLength(1);
  }, 90_000);

  it('finishes a pending write after a restart: another API process on the same database retries it', async () => {
    api.context.switchboard.faults.arm({
      connector: 'billing',
      operation: 'refund_payment',
      mode: 'error',
      times: 1_000,
    });
    const { chat } = await confirmRefund(restarted);
    api.context.switchboard.faults.clear();
    expect((await liveEscalation(chat.conversationId)).packet.pendingAction).toMatchObject({
      input: { payment_id: `pay_${restarted}2` },
    });
    // A new process: nothing of the first one's memory, only the database (checkpoints included).
    const second = await createTestApi({ database: api.database, switchboard: { now: () => now } });
    try {
      const decision = await decide(chat.conversationId, { approved: true }, agent, second);
      expect(decision.statusCode).toBe(202);
      await carriedOut(decision, second);
    } finally {
      await second.close();
    }
    expect(await refundsOf(restarted)).toEqual([{ payment_id: `pay_${restarted}2`, amount_cents: 9900 }]);
    expect((await chat.view()).messages.at(-1)?.text).toMatch(/^Done — I've refunded \$99\.00/);
    expect(await liveEscalation(chat.conversationId)).toMatchObject({ status: 'claimed' });
  }, 90_000);

  it('drops a failed write on a denial: nothing is written and the customer hears it will not be done', async () => {
    api.context.switchboard.faults.arm({
      connector: 'billing',
      operation: 'refund_payment',
      mode: 'error',
      times: 1_000,
    });
    const { chat } = await confirmRefund(dropped);
    api.context.switchboard.faults.clear();
    const decision = await decide(chat.conversationId, { approved: false, internalReason });
    expect(decision.statusCode).toBe(202);
    expect(decision.json().message.text).toBe(`Denied by ${agent.human.name}.`);
    await carriedOut(decision);
    expect(await refundsOf(dropped)).toEqual([]);
    const seen = await chat.view();
    expect(seen.messages.at(-1)).toEqual(
      expect.objectContaining({
        role: 'agent',
        text: expect.stringMatching(
          /^Our team has decided not to go ahead with refund \$99\.00 .*so nothing has been changed\./,
        ),
      }),
    );
    expect(seen.status).toBe('resolved');
    expect(JSON.stringify(seen)).not.toContain(internalReason);
    expect(await liveEscalation(chat.conversationId)).toMatchObject({ status: 'resolved' });
    expect((await decide(chat.conversationId, { approved: true })).statusCode).toBe(409);
  }, 60_000);

  it("keeps a denial's internal reason out of the customer's transcript, streams and email; the message to the customer is sent as written", async () => {
    const { chat, confirmed } = await confirmRefund(denied);
    expect(dataParts(confirmed, 'escalation')[0]?.data).toMatchObject({ reason: 'approval_required' });
    const channel = await recordCustomerChannel(chat.conversationId);
    const events = await openCustomerEvents(chat.conversationId, chat.accessToken);
    const customerMessage = 'We can offer a credit on your next invoice instead.';
    const decision = await decide(chat.conversationId, { approved: false, internalReason, customerMessage });
    expect(decision.statusCode).toBe(202);
    await carriedOut(decision);
    await waitFor(async () => events.text().includes(customerMessage));
    events.close();
    await channel.stop();

    const seen = await chat.view();
    const replies = seen.messages.slice(-2);
    expect(replies.map((message) => message.role)).toEqual(['agent', 'agent']);
    expect(replies[0]!.text).toMatch(/^Our team reviewed your request and couldn't approve refund \$499\.00/);
    expect(replies[1]!.text).toBe(`A message from our support team: ${customerMessage}`);
    expect(seen.status).toBe('resolved');
    for (const visible of [
      JSON.stringify(seen),
      events.text(),
      JSON.stringify(channel.events),
      JSON.stringify(await outboxOf(chat.conversationId)),
    ]) {
      expect(visible).not.toContain(internalReason);
      expect(visible).not.toContain('finance says no');
    }
    // The turn's own events (what a UI message stream is made of) carried the customer message.
    expect(JSON.stringify(channel.events)).toContain(customerMessage);
    expect(await refundsOf(denied)).toEqual([]);

    // The team sees both, kept apart, in the decision's record.
    const escalation = await liveEscalation(chat.conversationId);
    const detail = (await consoleCall(agent, 'GET', `/api/console/escalations/${escalation.id}`)).json();
    const record = detail.transcript.find(
      (message: { role: string; metadata: { kind?: string } }) =>
        message.role === 'system' && message.metadata.kind === 'approval',
    );
    expect(record).toMatchObject({
      text: `Denied by ${agent.human.name}.`,
      metadata: { approved: false, retry: false, internalReason, customerMessage, decidedBy: agent.human.id },
    });
  }, 60_000);

  it('mails an email conversation the message to the customer, never the internal reason', async () => {
    const { chat } = await confirmRefund(mailed);
    // The same conversation as an email thread: a decision's replies are then mailed to the contact.
    await api.database.pool.query(
      `UPDATE conversations SET channel = 'email', subject = 'Charged twice' WHERE id = $1`,
      [chat.conversationId],
    );
    const customerMessage = 'Finance will call you about a credit.';
    const decision = await decide(chat.conversationId, { approved: false, internalReason, customerMessage });
    await carriedOut(decision);
    const mail = await waitFor(async () => {
      const rows = await outboxOf(chat.conversationId);
      return rows.some((row) => row.template === 'conversation_reply') && rows;
    });
    const reply = mail.find((row) => row.template === 'conversation_reply')!;
    expect(reply.to_address).toBe(`customer${mailed}@company${mailed}.example`);
    expect(reply.text_body).toContain(`A message from our support team: ${customerMessage}`);
    expect(reply.text_body).toMatch(/couldn't approve refund \$499\.00/);
    expect(JSON.stringify(mail)).not.toContain(internalReason);
  }, 60_000);

  it('keeps an approved write that failed finishable: the customer is told, the console retries it later', async () => {
    const { chat } = await confirmRefund(approvedThenFailed);
    api.context.switchboard.faults.arm({
      connector: 'billing',
      operation: 'refund_payment',
      mode: 'error',
      times: 1_000,
    });
    const approved = await decide(chat.conversationId, { approved: true, customerMessage: 'All sorted!' });
    expect(approved.json().message.text).toBe(`Approved by ${agent.human.name}.`);
    await carriedOut(approved);
    expect(await refundsOf(approvedThenFailed)).toEqual([]);
    const waiting = await chat.view();
    // Told the truth once, and not the message written for a success.
    expect(waiting.messages.at(-1)?.text).toMatch(
      /^Your request was approved, but our system didn't complete it just now, so nothing has been changed yet\. A colleague will retry it/,
    );
    expect(JSON.stringify(waiting)).not.toContain('All sorted!');
    const escalation = await liveEscalation(chat.conversationId);
    expect(escalation).toMatchObject({ reason: 'approval_required', status: 'claimed' });
    const detail = (await consoleCall(agent, 'GET', `/api/console/escalations/${escalation.id}`)).json();
    expect(detail.escalation).toMatchObject({ pendingAction: true, conversationStatus: 'escalated' });
    expect(detail.transcript.at(-1).text).toMatch(/^Approved, but billing\.refund_payment did not complete/);

    api.context.switchboard.faults.clear();
    const retried = await decide(chat.conversationId, { approved: true });
    expect(retried.json().message.text).toBe(`Retry approved by ${agent.human.name}.`);
    await carriedOut(retried);
    // Above the auto-refund limit: the retry carries the human's approval, and refunds once.
    expect(await refundsOf(approvedThenFailed)).toEqual([
      { payment_id: `pay_${approvedThenFailed}2`, amount_cents: 49900 },
    ]);
    expect((await chat.view()).messages.at(-1)?.text).toMatch(/^Done — I've refunded \$499\.00/);
    expect(await liveEscalation(chat.conversationId)).toMatchObject({ status: 'claimed' });
  }, 60_000);

  it('voids a decision on another action than the pending one: nothing is done, the console is told', async () => {
    api.context.switchboard.faults.arm({
      connector: 'billing',
      operation: 'refund_payment',
      mode: 'error',
      times: 1_000,
    });
    const { chat } = await confirmRefund(mismatched);
    api.context.switchboard.faults.clear();
    const before = (await chat.view()).messages.length;
    // As the turn processor would run a stored decision whose action was replaced meanwhile.
    const events = [];
    for await (const event of api.context.switchboard.conversations.decide(chat.conversationId, {
      approved: true,
      decidedBy: agent.human.id,
      customerMessage: 'Done!',
      actionKey: 'some-other-action',
    }))
      events.push(event);
    expect(events).toEqual([{ type: 'turn-end', status: 'escalated' }]);
    expect(await refundsOf(mismatched)).toEqual([]);
    expect((await chat.view()).messages).toHaveLength(before);
    const { rows } = await api.database.pool.query(
      `SELECT body FROM messages WHERE conversation_id = $1 AND metadata->>'kind' = 'decision_void'`,
      [chat.conversationId],
    );
    expect(rows).toEqual([
      { body: 'This decision was not carried out: the pending action is no longer the one decided on.' },
    ]);
    expect(await liveEscalation(chat.conversationId)).toMatchObject({ status: 'open' });
  }, 60_000);
});
