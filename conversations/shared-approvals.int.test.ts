import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../db/database.ts';
import { loadWorld } from '../db/world/load-world.ts';
import type { WorldInput } from '../db/world/world-schema.ts';
import { createTestApi, type TestApi } from '../test/support/api-harness.ts';
import { loginAs } from '../test/support/console-login.ts';
import { testDatabaseKind } from '../test/support/database.ts';
import { dataParts, parseUiStream } from '../test/support/ui-stream.ts';

/**
 * One pending approval per action across conversations (issue #20, finding 8; docs/product.md,
 * "Approvals"): two colleagues report the same $499 duplicate charge (above the auto-refund limit)
 * and confirm at the same time. One approval is opened, the other conversation is linked to it, and
 * its decision reaches both: one refund, both customers told, one email each.
 */

const now = new Date('2026-11-20T09:00:00Z');

/** Account `n` with two colleagues (contacts n1, n2) and an invoice charged twice $499. */
function colleaguesDoubleCharged(n: number): WorldInput {
  const account = `acc_${n}`;
  const contact = (k: number) => ({
    id: `ct_${n}${k}`,
    account,
    name: `Colleague ${n}${k}`,
    email: `colleague${n}${k}@company${n}.example`,
    timezone: 'Europe/Berlin',
  });
  return {
    accounts: [{ id: account, name: `Company ${n}`, tier: 'pro', region: 'EU' }],
    contacts: [contact(1), contact(2)],
    subscriptions: [{ id: `sub_${n}`, account, plan: 'pro', status: 'active', period_end: '2026-11-30' }],
    invoices: [{ id: `INV-${n}001`, account, amount_cents: 49900, status: 'paid', issued_at: '2026-11-01' }],
    payments: [
      {
        id: `pay_${n}1`,
        invoice: `INV-${n}001`,
        amount_cents: 49900,
        status: 'succeeded',
        created_at: '2026-11-01T10:00:00Z',
      },
      {
        id: `pay_${n}2`,
        invoice: `INV-${n}001`,
        amount_cents: 49900,
        status: 'succeeded',
        created_at: '2026-11-01T10:00:07Z',
      },
    ],
  };
}

const approvedAccount = 7;
const deniedAccount = 8;

async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`one approval for the same action raised in two conversations on ${testDatabaseKind()}`, () => {
  let api: TestApi;
  let agent: Awaited<ReturnType<typeof loginAs>>;

  const decide = (conversationId: string, body: Record<string, unknown>) =>
    api.app.inject({
      method: 'POST',
      url: `/api/console/conversations/${conversationId}/approval`,
      headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrfToken },
      payload: body,
    });

  /** A colleague's chat that reached the refund's confirmation (the customer API, as the widget uses it). */
  async function chatUpToConfirmation(account: number, colleague: number) {
    const identityToken = await api.context.identity.signDemoToken!(
      `colleague${account}${colleague}@company${account}.example`,
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
    const asked = await post('/messages', { text: `I was charged twice for invoice INV-${account}001` });
    const actionId = dataParts(asked, 'confirmation')[0]?.data?.actionId as string;
    expect(actionId).toBeDefined();
    return {
      conversationId,
      confirm: () => post('/confirmation', { decision: 'confirm', actionId }),
      async agentTexts() {
        const response = await api.app.inject({ url: `/api/conversations/${conversationId}`, headers });
        const view = response.json() as { messages: Array<{ role: string; text: string }> };
        return view.messages.filter((message) => message.role === 'agent').map((message) => message.text);
      },
    };
  }

  /** Both colleagues confirm at the same moment: two turns racing to ask for the one approval. */
  async function raceToApproval(account: number) {
    const first = await chatUpToConfirmation(account, 1);
    const second = await chatUpToConfirmation(account, 2);
    await Promise.all([first.confirm(), second.confirm()]);
    const { rows } = await api.database.pool.query<{
      id: string;
      conversation_id: string;
      action_key: string | null;
      awaits_escalation_id: string | null;
      packet: Record<string, unknown>;
    }>(
      `SELECT id, conversation_id, action_key, awaits_escalation_id, packet FROM escalations
        WHERE conversation_id = ANY($1) ORDER BY awaits_escalation_id NULLS FIRST`,
      [[first.conversationId, second.conversationId]],
    );
    expect(rows).toHaveLength(2);
    const [approval, linked] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const chats = new Map([first, second].map((chat) => [chat.conversationId, chat]));
    return {
      approval,
      linked,
      approvalChat: chats.get(approval.conversation_id)!,
      linkedChat: chats.get(linked.conversation_id)!,
    };
  }

  const statusOf = async (conversationId: string) =>
    (await api.database.pool.query('SELECT status FROM conversations WHERE id = $1', [conversationId]))
      .rows[0]?.status;

  /** Waits until every decision stored in these conversations was carried out by its turn. */
  const decisionsCarriedOut = (conversationIds: string[]) =>
    waitFor(async () => {
      const { rows } = await api.database.pool.query(
        `SELECT conversation_id, turn_status FROM messages
          WHERE conversation_id = ANY($1) AND role = 'system' AND metadata->>'kind' = 'approval'`,
        [conversationIds],
      );
      return rows.length === conversationIds.length && rows.every((row) => row.turn_status === 'done');
    });

  beforeAll(async () => {
    api = await createTestApi({
      seed: false,
      switchboard: { now: () => now },
      settings: { turnStreamTimeoutMs: 60_000 },
    });
    const worlds = [colleaguesDoubleCharged(approvedAccount), colleaguesDoubleCharged(deniedAccount)];
    const merged: Record<string, unknown[]> = {};
    for (const part of worlds)
      for (const [key, rows] of Object.entries(part))
        merged[key] = [...(merged[key] ?? []), ...(rows as unknown[])];
    await loadWorld(api.database.pool, merged as WorldInput);
    await api.context.switchboard.classifier?.warm();
    agent = await loginAs(api.app, api.database.pool, 'agent');
  }, 180_000);
  afterAll(async () => {
    await api?.close();
  });

  it('opens one approval, links the other conversation, and carries the approval out once for both', async () => {
    const { approval, linked, approvalChat, linkedChat } = await raceToApproval(approvedAccount);
    const actionKey = `billing.refund_payment:refund:pay_${approvedAccount}2:49900`;
    // One approval holds the action; the other conversation waits on it, and each packet says so.
    expect(approval).toMatchObject({ action_key: actionKey, awaits_escalation_id: null });
    expect(linked).toMatchObject({ action_key: actionKey, awaits_escalation_id: approval.id });
    expect(linked.packet.summary).toMatch(
      new RegExp(`^Awaiting approval in conversation ${approval.conversation_id}\\b`),
    );
    expect(linked.packet.awaitingApprovalIn).toEqual({
      conversationId: approval.conversation_id,
      escalationId: approval.id,
    });
    expect(approval.packet.alsoAwaitedBy).toEqual([
      { conversationId: linked.conversation_id, escalationId: linked.id },
    ]);
    expect(await statusOf(approval.conversation_id)).toBe('waiting_approval');
    expect(await statusOf(linked.conversation_id)).toBe('waiting_approval');
    // Both customers were told it waits for approval.
    for (const chat of [approvalChat, linkedChat])
      expect((await chat.agentTexts()).join('\n')).toMatch(/needs approval from our billing team/);

    // The linked conversation is not a second approval: deciding there is refused, naming the approval.
    const elsewhere = await decide(linked.conversation_id, { approved: true });
    expect(elsewhere.statusCode).toBe(409);
    expect(elsewhere.json().error.message).toContain(
      `awaits approval in conversation ${approval.conversation_id}`,
    );

    const approved = await decide(approval.conversation_id, { approved: true });
    expect(approved.statusCode).toBe(202);
    await decisionsCarriedOut([approval.conversation_id, linked.conversation_id]);

    const refunds = await api.database.pool.query(
      `SELECT id, amount_cents FROM refunds WHERE payment_id = $1`,
      [`pay_${approvedAccount}2`],
    );
    expect(refunds.rows).toEqual([{ id: expect.any(String), amount_cents: 49900 }]);
    for (const chat of [approvalChat, linkedChat]) {
      const texts = (await chat.agentTexts()).join('\n');
      expect(texts).toMatch(/I've refunded \$499\.00 for the duplicate charge/);
      expect(texts).not.toMatch(/couldn't approve|already refunded/);
    }
    // One confirmation email per customer told: each colleague gets exactly one, about the one refund.
    const emails = await api.database.pool.query(
      `SELECT to_address, text_body FROM email_outbox WHERE template = 'refund_issued' AND to_address LIKE $1 ORDER BY to_address`,
      [`%@company${approvedAccount}.example`],
    );
    expect(emails.rows.map((row) => row.to_address)).toEqual([
      `colleague${approvedAccount}1@company${approvedAccount}.example`,
      `colleague${approvedAccount}2@company${approvedAccount}.example`,
    ]);
    for (const row of emails.rows) expect(row.text_body).toContain(refunds.rows[0].id);
    // The audit: the refund ran once; the other conversation's call replayed its result.
    await api.context.switchboard.gateway.flush();
    const audit = await api.database.pool.query(
      `SELECT outcome, (detail->>'replayed') IS NOT NULL AS replayed FROM audit_log
        WHERE operation = 'refund_payment' AND conversation_id = ANY($1) AND outcome = 'ok' ORDER BY id`,
      [[approval.conversation_id, linked.conversation_id]],
    );
    expect(audit.rows.filter((row) => !row.replayed)).toEqual([{ outcome: 'ok', replayed: false }]);
    expect(audit.rows).toHaveLength(2);
    // The linked conversation's escalation is closed; the approval's stays with the human who decided
    // (approving and resolving are two steps, issue #21), its action no longer pending.
    const open = await api.database.pool.query(
      `SELECT id, decided_at IS NOT NULL AS decided FROM escalations
        WHERE conversation_id = ANY($1) AND status IN ('open','claimed')`,
      [[approval.conversation_id, linked.conversation_id]],
    );
    expect(open.rows).toEqual([{ id: approval.id, decided: true }]);
  }, 180_000);

  it('tells both customers when the one approval is denied, and refunds nothing', async () => {
    const { approval, linked, approvalChat, linkedChat } = await raceToApproval(deniedAccount);
    expect(linked.awaits_escalation_id).toBe(approval.id);
    const denied = await decide(approval.conversation_id, { approved: false });
    expect(denied.statusCode).toBe(202);
    await decisionsCarriedOut([approval.conversation_id, linked.conversation_id]);
    for (const chat of [approvalChat, linkedChat])
      expect((await chat.agentTexts()).join('\n')).toMatch(/couldn't approve refund \$499\.00/);
    const refunds = await api.database.pool.query(`SELECT id FROM refunds WHERE payment_id = $1`, [
      `pay_${deniedAccount}2`,
    ]);
    expect(refunds.rows).toEqual([]);
    const emails = await api.database.pool.query(
      `SELECT 1 FROM email_outbox WHERE template = 'refund_issued' AND to_address LIKE $1`,
      [`%@company${deniedAccount}.example`],
    );
    expect(emails.rows).toEqual([]);
  }, 180_000);

  it('lets the database hold only one live approval per action key', async () => {
    const pool = api.database.pool;
    await pool.query(
      `INSERT INTO conversations (id, channel) VALUES ('conv_index_1', 'chat'), ('conv_index_2', 'chat')`,
    );
    const insert = (id: string, conversation: string, awaits: string | null = null) =>
      pool.query(
        `INSERT INTO escalations (id, conversation_id, reason, packet, action_key, awaits_escalation_id)
         VALUES ($1, $2, 'approval_required', '{}', 'billing.refund_payment:refund:pay_x:1', $3)`,
        [id, conversation, awaits],
      );
    await insert('esc_index_1', 'conv_index_1');
    await expect(
      withTransaction(pool, (client) =>
        client.query(
          `INSERT INTO escalations (id, conversation_id, reason, packet, action_key)
           VALUES ('esc_index_2', 'conv_index_2', 'approval_required', '{}', 'billing.refund_payment:refund:pay_x:1')`,
        ),
      ),
    ).rejects.toThrow(/escalations_pending_action_key|unique/i);
    // A link to the approval is not a second approval; a closed approval frees the key.
    await insert('esc_index_3', 'conv_index_2', 'esc_index_1');
    await pool.query(`UPDATE escalations SET status = 'resolved' WHERE id IN ('esc_index_1', 'esc_index_3')`);
    await insert('esc_index_4', 'conv_index_2');
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM escalations WHERE id LIKE 'esc_index_%'`)).rows[0].n,
    ).toBe(3);
  });
});
