import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../app/wiring.ts';
import type { Database } from '../db/database.ts';
import {
  agentTurn,
  duplicateChargeWorld,
  eventOf,
  replies,
  wireAgent,
} from '../test/support/agent-harness.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import type { CustomerSession } from './events.ts';

const now = new Date('2026-11-20T09:00:00Z');
const maya: CustomerSession = { contactId: 'ct_1', verified: true, channel: 'chat', verifiedBy: 'token' };

/**
 * When the agent's run fails and the fail-safe cannot record its hand-over either (the database is
 * what failed), the turn fails — never a "passed to a colleague" nobody received, and never a turn
 * that ends with the conversation's state lost (found by `npm run chaos`).
 */
describe(`the fail-safe when the database fails under it on ${testDatabaseKind()}`, () => {
  let database: Database;
  let switchboard: Switchboard;

  beforeAll(async () => {
    database = await createTestDatabase();
    switchboard = await wireAgent(database, duplicateChargeWorld, now);
  }, 120_000);
  afterAll(async () => {
    await switchboard?.close();
    await database?.close();
  });

  const turn = (id: string, message: string) => agentTurn(switchboard, id, message, maya);

  it('fails the turn instead of ending it, and the same turn succeeds once the database is back', async () => {
    const id = 'conv_fail_safe';
    await database.pool.query(
      `INSERT INTO conversations (id, channel, contact_id, verified) VALUES ($1, 'chat', 'ct_1', true)`,
      [id],
    );
    // The agent's memory cannot be read or written: the run fails, and so does every fail-safe step.
    await database.pool.query('ALTER TABLE checkpoints RENAME TO checkpoints_away');
    try {
      await expect(turn(id, 'Hi, I think I was charged twice this month.')).rejects.toThrow(/checkpoints/);
    } finally {
      await database.pool.query('ALTER TABLE checkpoints_away RENAME TO checkpoints');
    }
    const { rows } = await database.pool.query(
      `SELECT body FROM messages WHERE conversation_id = $1 AND body LIKE '%passed the conversation to a colleague%'`,
      [id],
    );
    expect(rows).toEqual([]);

    const again = await turn(id, 'Hi, I think I was charged twice this month.');
    expect(eventOf(again, 'confirmation-request')).toBeDefined();
    expect(replies(again)).toMatch(/duplicate charge/);
  }, 60_000);
});
