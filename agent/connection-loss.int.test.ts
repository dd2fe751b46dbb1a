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
import { createPostgresTestDatabase } from '../test/support/database.ts';
import type { CustomerSession } from './events.ts';

const now = new Date('2026-11-20T09:00:00Z');
const maya: CustomerSession = { contactId: 'ct_1', verified: true, channel: 'chat', verifiedBy: 'token' };

/**
 * PostgreSQL terminates the connection while the agent writes its checkpoint (found by `npm run
 * chaos`, which terminates backends mid-turn): the turn fails so that its owner runs it again, and the
 * customer is not handed to a person for a blip. PostgreSQL only: PGlite has no backends to terminate.
 */
describe('a database connection lost mid-turn (PostgreSQL)', () => {
  let database: Database & { url: string };
  let switchboard: Switchboard;

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    switchboard = await wireAgent(database, duplicateChargeWorld, now);
  }, 120_000);
  afterAll(async () => {
    await switchboard?.close();
    await database?.close();
  });

  const turn = (id: string, message: string) => agentTurn(switchboard, id, message, maya);

  it('fails the turn without escalating, and the turn run again succeeds', async () => {
    const id = 'conv_connection_lost';
    await database.pool.query(
      `INSERT INTO conversations (id, channel, contact_id, verified) VALUES ($1, 'chat', 'ct_1', true)`,
      [id],
    );
    // A first turn leaves the agent's memory behind, so a fail-safe could read it and hand over.
    expect(replies(await turn(id, 'Hello there'))).not.toBe('');
    // The backend that writes the next checkpoint terminates itself, once (a sequence is not rolled
    // back): 57P01, as pg_terminate_backend does.
    await database.pool.query(`
      CREATE SEQUENCE terminate_once;
      CREATE FUNCTION terminate_writer() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('terminate_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER terminate_writer BEFORE INSERT ON checkpoints FOR EACH ROW EXECUTE FUNCTION terminate_writer();`);
    try {
      await expect(turn(id, 'Hi, I think I was charged twice this month.')).rejects.toMatchObject({
        code: '57P01',
      });
    } finally {
      await database.pool.query(
        'DROP TRIGGER terminate_writer ON checkpoints; DROP FUNCTION terminate_writer(); DROP SEQUENCE terminate_once;',
      );
    }
    const escalations = await database.pool.query('SELECT id FROM escalations WHERE conversation_id = $1', [
      id,
    ]);
    expect(escalations.rows).toEqual([]);

    const again = await turn(id, 'Hi, I think I was charged twice this month.');
    expect(eventOf(again, 'confirmation-request')).toBeDefined();
    expect(replies(again)).toMatch(/duplicate charge/);
    const handedOver = await database.pool.query(
      `SELECT body FROM messages WHERE conversation_id = $1 AND body LIKE '%passed the conversation to a colleague%'`,
      [id],
    );
    expect(handedOver.rows).toEqual([]);
  }, 60_000);
});
