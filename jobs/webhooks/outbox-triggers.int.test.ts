import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEventDataSchemas } from '../../api/contract/outbound-webhooks.ts';
import { createAuditWriter } from '../../connectors/core/audit.ts';
import { recordCsat } from '../../conversations/csat.ts';
import { resolveEscalation } from '../../conversations/escalations.ts';
import { createInProcessConversationLock } from '../../conversations/lock.ts';
import { type Database, withTransaction } from '../../db/database.ts';
import { webhookEventTypes } from '../../db/webhook-events.ts';
import { createTestDatabase } from '../../test/support/database.ts';

let database: Database;
let sequence = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.pool.query(
    `INSERT INTO webhook_subscriptions (id, url, events) VALUES ('whs_all', 'https://hooks.example.com/all', $1),
       ('whs_resolved', 'https://hooks.example.com/resolved', '{conversation.resolved}')`,
    [webhookEventTypes],
  );
  await database.pool.query(
    `INSERT INTO human_agents (id, email, name, role, password_hash) VALUES ('hum_1', 'ada@test.example', 'Ada', 'agent', 'x')`,
  );
}, 60_000);

afterAll(async () => {
  await database?.close();
});

async function conversation(): Promise<string> {
  sequence += 1;
  const id = `conv_trigger_${sequence}`;
  await database.pool.query(
    `INSERT INTO conversations (id, channel, status) VALUES ($1, 'email', 'escalated')`,
    [id],
  );
  return id;
}

async function eventsOfType(type: string) {
  const { rows } = await database.pool.query<{
    id: string;
    payload: Record<string, unknown>;
    deliveries: string[];
  }>(
    `SELECT e.id, e.payload, array_agg(d.subscription_id ORDER BY d.subscription_id) AS deliveries
     FROM webhook_events e JOIN webhook_deliveries d ON d.event_id = e.id
     WHERE e.type = $1 GROUP BY e.id, e.payload, e.occurred_at ORDER BY e.occurred_at`,
    [type],
  );
  return rows;
}

describe('webhook outbox triggers', () => {
  it('an approval escalation is approval.requested, with the action named and its input left out', async () => {
    const conversationId = await conversation();
    await database.pool.query(
      `INSERT INTO escalations (id, conversation_id, reason, packet) VALUES ('esc_approval', $1, 'approval_required', $2)`,
      [
        conversationId,
        JSON.stringify({
          pendingAction: {
            connector: 'billing',
            operation: 'refund_payment',
            input: { paymentId: 'pay_1', cardLast4: '4242' },
            idempotencyKey: 'k',
            reason: 'over limit',
          },
        }),
      ],
    );
    const [event] = await eventsOfType('approval.requested');
    expect(event!.deliveries).toEqual(['whs_all']);
    expect(webhookEventDataSchemas['approval.requested'].strict().parse(event!.payload)).toMatchObject({
      escalationId: 'esc_approval',
      conversationId,
      channel: 'email',
      action: { connector: 'billing', operation: 'refund_payment' },
    });
    expect(JSON.stringify(event!.payload)).not.toContain('4242');
    expect(await eventsOfType('conversation.escalated')).toEqual([]);
  });

  it('a resolved escalation is conversation.resolved, for every subscription that wants it', async () => {
    const conversationId = await conversation();
    await database.pool.query(
      `INSERT INTO escalations (id, conversation_id, reason, packet) VALUES ('esc_resolve', $1, 'customer_requested', '{}')`,
      [conversationId],
    );
    const [escalated] = await eventsOfType('conversation.escalated');
    expect(
      webhookEventDataSchemas['conversation.escalated'].strict().parse(escalated!.payload),
    ).toMatchObject({
      escalationId: 'esc_resolve',
      reason: 'customer_requested',
      priority: 'normal',
    });
    await resolveEscalation(
      {
        pool: database.pool,
        lock: createInProcessConversationLock(),
        agent: { handBack: async () => undefined as never },
        scheduleTurns: async () => {},
      },
      'esc_resolve',
      { id: 'hum_1', name: 'Ada', role: 'agent' },
    );
    const resolved = await eventsOfType('conversation.resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.deliveries).toEqual(['whs_all', 'whs_resolved']);
    expect(
      webhookEventDataSchemas['conversation.resolved'].strict().parse(resolved[0]!.payload),
    ).toMatchObject({
      conversationId,
      outcome: 'escalated',
    });
    // Only the change to resolved emits: touching a resolved row again does not.
    await database.pool.query(`UPDATE conversations SET status = 'resolved' WHERE id = $1`, [conversationId]);
    expect(await eventsOfType('conversation.resolved')).toHaveLength(1);
  });

  it('a successful connector write is action.executed, without the audit detail; reads and failures are not', async () => {
    const audit = createAuditWriter(database.pool, { mode: 'sync' });
    const row = {
      at: new Date('2026-12-05T10:00:00Z'),
      conversationId: 'conv_x',
      actor: 'agent',
      accountId: 'acc_1',
      connectorId: 'billing',
      operation: 'refund_payment',
      effect: 'write' as const,
      argsHash: 'h',
      idempotencyKey: 'refund:pay_1',
      outcome: 'ok' as const,
      errorKind: null,
      latencyMs: 12.345,
      stale: false,
      detail: { email: 'secret@example.com' },
    };
    await audit.write(row);
    await audit.write({ ...row, effect: 'read', operation: 'get_invoice' });
    await audit.write({ ...row, outcome: 'error', errorKind: 'transient' });
    const events = await eventsOfType('action.executed');
    expect(events).toHaveLength(1);
    expect(webhookEventDataSchemas['action.executed'].strict().parse(events[0]!.payload)).toMatchObject({
      connector: 'billing',
      operation: 'refund_payment',
      accountId: 'acc_1',
      idempotencyKey: 'refund:pay_1',
      latencyMs: 12.3,
      executedAt: '2026-12-05T10:00:00.000Z',
    });
    expect(JSON.stringify(events[0]!.payload)).not.toContain('secret@example.com');
  });

  it('an event is stored with its fact or not at all', async () => {
    const conversationId = await conversation();
    const before = (await eventsOfType('conversation.escalated')).length;
    await expect(
      withTransaction(database.pool, async (client) => {
        await client.query(
          `INSERT INTO escalations (id, conversation_id, reason, packet) VALUES ('esc_rolled_back', $1, 'low_confidence', '{}')`,
          [conversationId],
        );
        throw new Error('the process died');
      }),
    ).rejects.toThrow('the process died');
    expect(await eventsOfType('conversation.escalated')).toHaveLength(before);
  });

  it('a stored rating is csat.received, without its comment; nothing is stored when nobody subscribes', async () => {
    const conversationId = await conversation();
    await database.pool.query(
      `UPDATE conversations SET status = 'resolved', outcome = 'answered' WHERE id = $1`,
      [conversationId],
    );
    await recordCsat(database.pool, conversationId, { rating: 4, comment: 'private words' }, 'email');
    const [event] = await eventsOfType('csat.received');
    expect(webhookEventDataSchemas['csat.received'].parse(event!.payload)).toEqual({
      conversationId,
      channel: 'email',
      contactId: null,
      accountId: null,
      rating: 4,
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(JSON.stringify(event!.payload)).not.toContain('private words');
    expect(event!.deliveries).toEqual(['whs_all']);

    await database.pool.query(`UPDATE webhook_subscriptions SET enabled = false`);
    const quiet = await conversation();
    await database.pool.query(
      `UPDATE conversations SET status = 'resolved', outcome = 'answered' WHERE id = $1`,
      [quiet],
    );
    await recordCsat(database.pool, quiet, { rating: 2 }, 'chat');
    expect(await eventsOfType('csat.received')).toHaveLength(1);
  });
});
