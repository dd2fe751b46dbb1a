import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../app/wiring.ts';
import type { Database } from '../db/database.ts';
import { duplicateChargeWorld, eventOf, replies, wireAgent } from '../test/support/agent-harness.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import type { AgentEvent, CustomerSession } from './events.ts';
import type { TurnInput } from './turn-input.ts';

const now = new Date('2026-11-20T09:00:00Z');
const maya: CustomerSession = { contactId: 'ct_1', verified: true, channel: 'chat', verifiedBy: 'token' };

/**
 * The same duplicate charge raised in two conversations, each confirmed: one refund, one "refund
 * issued" email, and the second conversation told it was refunded already (issue #20, finding 8).
 */
describe(`a duplicate charge confirmed in two conversations on ${testDatabaseKind()}`, () => {
  let database: Database;
  let switchboard: Switchboard;
  const send = async (id: string, input: TurnInput | string) => {
    const events: AgentEvent[] = [];
    for await (const event of switchboard.conversations.converse(id, input, maya)) events.push(event);
    return events;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await (await wireAgent(database, duplicateChargeWorld, now)).close();
    switchboard = await createSwitchboard({
      database,
      dataDir: '.data/test',
      mode: 'embedded',
      now: () => now,
    });
  }, 120_000);
  afterAll(async () => {
    await switchboard?.close();
    await database?.close();
  });

  it('refunds once, emails once, and tells the second conversation it was already refunded', async () => {
    const first = await send('conv_twice_1', 'Hi, I think I was charged twice this month.');
    const second = await send(
      'conv_twice_2',
      'Hello, there are two identical charges on my card for November.',
    );
    const firstAsk = eventOf(first, 'confirmation-request');
    const secondAsk = eventOf(second, 'confirmation-request');
    expect(firstAsk?.actionId).toBeDefined();
    expect(secondAsk?.actionId).toBeDefined();

    const firstDone = await send('conv_twice_1', { kind: 'confirm', actionId: firstAsk!.actionId });
    expect(replies(firstDone)).toMatch(/I've refunded \$99\.00/);
    const secondDone = await send('conv_twice_2', { kind: 'confirm', actionId: secondAsk!.actionId });
    expect(replies(secondDone)).toMatch(/already refunded/);
    expect(replies(secondDone)).not.toMatch(/I've refunded|emailed you a confirmation/);

    const refunds = await database.pool.query(`SELECT id FROM refunds WHERE payment_id = 'pay_2'`);
    expect(refunds.rows).toHaveLength(1);
    expect(replies(secondDone)).toContain(refunds.rows[0].id);
    const emails = await database.pool.query(
      `SELECT conversation_id FROM email_outbox WHERE template = 'refund_issued' ORDER BY id`,
    );
    expect(emails.rows.map((row) => row.conversation_id)).toEqual(['conv_twice_1']);
  }, 120_000);
});
