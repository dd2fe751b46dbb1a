import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptCustomerMessage, startConversation } from '../api/customer/conversations.ts';
import type { Database } from '../db/database.ts';
import { demoCustomers } from '../db/world/demo-world.ts';
import { seedDemoWorld } from '../db/world/seed-demo.ts';
import { createPostgresTestDatabase } from '../test/support/database.ts';
import { createBullJobs } from './bullmq-jobs.ts';
import { waitFor } from './testing/handlers.ts';
import { type SpawnedWorker, spawnWorker } from './testing/spawn-worker.ts';

const redisUrl = 'redis://127.0.0.1:6379';
const prefix = `sb-test-recovery-${randomBytes(4).toString('hex')}`;
const maya = demoCustomers.duplicateCharge;

function spawnTurnWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<SpawnedWorker> {
  return spawnWorker({
    script: 'test/support/turn-worker.ts',
    env: { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, PREFIX: prefix, ...env },
    readyPattern: /ready \d+/,
    readyTimeoutMs: 60_000,
  });
}

describe('a worker killed mid-turn (SIGKILL)', () => {
  let database: Database & { url: string };
  const workers: SpawnedWorker[] = [];
  const queue = createBullJobs({ url: redisUrl, prefix });

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    await seedDemoWorld(database.pool);
  }, 120_000);
  afterAll(async () => {
    for (const worker of workers) await worker.dispose();
    await queue.close();
    await database?.close();
  });

  const turnStatus = async (messageId: string) =>
    (await database.pool.query('SELECT turn_status FROM messages WHERE id = $1', [messageId])).rows[0]
      ?.turn_status;

  it('completes the turn on the other worker with exactly one refund, one reply and one email', async () => {
    const crashing = await spawnTurnWorker(database.url, { CRASH_AFTER: 'billing.refund_payment' });
    workers.push(crashing);
    const conversation = await startConversation(database.pool, {
      contactId: maya.contact,
      accountId: maya.account,
      name: 'Maya Chen',
      email: maya.email,
    });
    const { conversationId } = conversation;

    const question = await acceptCustomerMessage(
      database.pool,
      conversationId,
      'Hi, I think I was charged twice this month.',
      'm1',
    );
    await queue.enqueue('agent.turn', { conversationId }, { jobId: `turn-${question.messageId}` });
    await waitFor('the first turn', async () => (await turnStatus(question.messageId)) === 'done', 60_000);

    // Only the crashing worker runs: it takes the confirmation turn, refunds, and dies before replying.
    const confirm = await acceptCustomerMessage(database.pool, conversationId, 'Yes, please go ahead.', 'm2');
    await queue.enqueue('agent.turn', { conversationId }, { jobId: `turn-${confirm.messageId}` });
    const exit = await Promise.race([
      crashing.exited,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000)),
    ]);
    expect(exit?.signal).toBe('SIGKILL');
    expect(await turnStatus(confirm.messageId)).toBe('running');
    const refundsAtCrash = await database.pool.query(
      `SELECT count(*)::int AS n FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id WHERE i.account_id = $1`,
      [maya.account],
    );
    expect(refundsAtCrash.rows[0].n).toBe(1);
    const repliesAtCrash = await database.pool.query(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND client_message_id LIKE $2`,
      [conversationId, `${confirm.messageId}:%`],
    );
    expect(repliesAtCrash.rows[0].n).toBe(0);

    // The other worker finds the stalled job once its lock expires and runs the turn again.
    workers.push(await spawnTurnWorker(database.url));
    await waitFor(
      'the turn on the second worker',
      async () => (await turnStatus(confirm.messageId)) === 'done',
      60_000,
    );

    const refunds = await database.pool.query(
      `SELECT r.payment_id, r.amount_cents FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id WHERE i.account_id = $1`,
      [maya.account],
    );
    expect(refunds.rows).toHaveLength(1);
    const replies = await database.pool.query<{ body: string }>(
      `SELECT body FROM messages WHERE conversation_id = $1 AND role = 'agent' AND id > $2`,
      [conversationId, confirm.messageId],
    );
    expect(replies.rows).toHaveLength(1);
    expect(replies.rows[0]!.body.toLowerCase()).toContain('refund');
    const emails = await database.pool.query(
      `SELECT count(*)::int AS n FROM email_outbox WHERE conversation_id = $1 AND template <> 'verification_code'`,
      [conversationId],
    );
    expect(emails.rows[0].n).toBe(1);
    const conversationRow = await database.pool.query(
      'SELECT status, outcome FROM conversations WHERE id = $1',
      [conversationId],
    );
    expect(conversationRow.rows[0]).toEqual({ status: 'open', outcome: 'resolved' });
  }, 180_000);
});
