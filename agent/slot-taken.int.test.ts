import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../app/wiring.ts';
import type { Database } from '../db/database.ts';
import type { WorldInput } from '../db/world/world-schema.ts';
import { eventOf, replies, wireAgent } from '../test/support/agent-harness.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import type { AgentEvent, CustomerSession } from './events.ts';
import type { TurnInput } from './turn-input.ts';

const now = new Date('2026-11-20T09:00:00Z');
const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_2', name: 'Meridian Foods', tier: 'pro', region: 'EU' },
  ],
  contacts: [
    {
      id: 'ct_1',
      account: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      timezone: 'Europe/London',
    },
    {
      id: 'ct_2',
      account: 'acc_2',
      name: 'Chloé Durand',
      email: 'chloe@meridianfoods.fr',
      timezone: 'Europe/London',
    },
  ],
  engineers: [
    {
      id: 'eng_1',
      name: 'Alex Morgan',
      email: 'alex.morgan@lumen.cloud',
      timezone: 'Europe/London',
      hours: '09:00-17:00',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    },
  ],
};
const session = (contactId: string): CustomerSession => ({
  contactId,
  verified: true,
  channel: 'chat',
  verifiedBy: 'token',
});

/**
 * Two customers offered the same free slot, both say yes (found by `npm run chaos`, 10 customers at
 * once): the second booking meets `conflict`. The second customer is told it changed and offered the
 * next free slot — not handed over as if the calendar were down.
 */
describe(`a slot taken between the offer and the yes on ${testDatabaseKind()}`, () => {
  let database: Database;
  let switchboard: Switchboard;
  const send = async (id: string, contactId: string, input: TurnInput | string) => {
    const events: AgentEvent[] = [];
    for await (const event of switchboard.conversations.converse(id, input, session(contactId)))
      events.push(event);
    return events;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await (await wireAgent(database, world, now)).close();
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

  it('offers the next free slot to the customer who said yes second, and books that one', async () => {
    const ask = async (conversation: string, contact: string) => {
      await send(conversation, contact, 'Can I book a call with one of your engineers?');
      const offer = await send(conversation, contact, 'Tuesday at 3pm');
      expect(replies(offer)).toMatch(/Tue, Nov 24, 3:00 PM/);
      return eventOf(offer, 'confirmation-request')!.actionId;
    };
    const mayaOffer = await ask('conv_slot_1', 'ct_1');
    const chloeOffer = await ask('conv_slot_2', 'ct_2');

    expect(replies(await send('conv_slot_1', 'ct_1', { kind: 'confirm', actionId: mayaOffer }))).toMatch(
      /Booked/,
    );
    const second = await send('conv_slot_2', 'ct_2', { kind: 'confirm', actionId: chloeOffer });
    const text = replies(second);
    expect(text).toMatch(/changed while we were talking, so I haven't done it/);
    expect(text).not.toMatch(/isn't responding|passed it to a colleague/);
    const newOffer = eventOf(second, 'confirmation-request');
    expect(newOffer?.actionId).toBeDefined();
    expect(newOffer!.actionId).not.toBe(chloeOffer);
    expect(text).not.toMatch(/3:00 PM is free/);
    const escalations = await database.pool.query(
      `SELECT id FROM escalations WHERE conversation_id = 'conv_slot_2'`,
    );
    expect(escalations.rows).toEqual([]);

    expect(
      replies(await send('conv_slot_2', 'ct_2', { kind: 'confirm', actionId: newOffer!.actionId })),
    ).toMatch(/Booked/);
    const bookings = await database.pool.query<{ contact_id: string; start: Date }>(
      'SELECT contact_id, start_at AS start FROM bookings ORDER BY contact_id',
    );
    expect(bookings.rows.map((row) => row.contact_id)).toEqual(['ct_1', 'ct_2']);
    expect(bookings.rows[0]!.start.toISOString()).toBe('2026-11-24T15:00:00.000Z');
    expect(bookings.rows[1]!.start.getTime()).not.toBe(bookings.rows[0]!.start.getTime());
  }, 120_000);
});
