import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupportAgent } from '../agent/agent.ts';
import type { AgentEvent } from '../agent/events.ts';
import { customerWords, type TurnInput } from '../agent/turn-input.ts';
import { startConversation } from '../api/customer/conversations.ts';
import { defaultSender } from '../connectors/email/connector.ts';
import { createOutbox } from '../connectors/email/outbox.ts';
import type { Database } from '../db/database.ts';
import { loadWorld } from '../db/world/load-world.ts';
import { createInProcessEventBus } from '../jobs/in-process-event-bus.ts';
import { createInProcessJobs } from '../jobs/in-process-jobs.ts';
import { testHandlers } from '../jobs/testing/handlers.ts';
import { turnSchedulerOf } from '../jobs/turn-scheduler.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { acceptCustomerMessage } from './chat-intake.ts';
import type { LiveEvent } from './live-events.ts';
import { createInProcessConversationLock } from './lock.ts';
import { createConversationStore } from './store.ts';
import { createTurnProcessor } from './turns.ts';

/**
 * The turn processor with the real database, job runner and event bus; the agent is a recording
 * stand-in (the agent itself is tested in agent/), so order and fairness are visible.
 */
let database: Database;
const handled: string[] = [];
let failing = new Set<string>();
/** The inputs the agent was handed, in order. */
const inputs: Array<TurnInput | string> = [];

const recordingAgent: SupportAgent = {
  async *handleMessage(conversationId, input, _session, turn) {
    inputs.push(input);
    const message = typeof input === 'string' ? input : customerWords(input);
    if (failing.has(message)) throw new Error(`turn for "${message}" crashed`);
    handled.push(`${conversationId.slice(-4)}:${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await database.pool.query(
      // Like the real store: a replayed turn's reply is stored once.
      `INSERT INTO messages (conversation_id, role, body, client_message_id) VALUES ($1, 'agent', $2, $3)
       ON CONFLICT (conversation_id, client_message_id) DO NOTHING`,
      [conversationId, `re: ${message}`, `${turn!.turnId}:reply:0`],
    );
    yield { type: 'message', text: `re: ${message}`, citations: [] } satisfies AgentEvent;
    yield { type: 'turn-end', status: 'open' } satisfies AgentEvent;
  },
  async *decideApproval() {
    yield { type: 'turn-end', status: 'open' } satisfies AgentEvent;
  },
  async handBack() {},
};

beforeAll(async () => {
  database = await createTestDatabase();
  await loadWorld(database.pool, {
    accounts: [{ id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' }],
    contacts: [{ id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' }],
  });
}, 60_000);
afterAll(async () => database?.close());

function setup(mail?: Parameters<typeof createTurnProcessor>[0]['mail']) {
  const bus = createInProcessEventBus();
  let turns!: ReturnType<typeof createTurnProcessor>;
  const jobs = createInProcessJobs({
    concurrency: 1,
    handlers: testHandlers({ 'agent.turn': (payload) => turns.handleTurn(payload.conversationId) }),
  });
  turns = createTurnProcessor({
    pool: database.pool,
    agent: recordingAgent,
    bus,
    store: createConversationStore(database.pool),
    lock: createInProcessConversationLock(),
    scheduler: turnSchedulerOf(jobs),
    maxAttempts: 2,
    ...(mail ? { mail } : {}),
  });
  return { bus, jobs, turns };
}

const conversation = async () => (await startConversation(database.pool, null)).conversationId;

describe('createTurnProcessor', () => {
  it('answers a conversation in order, one turn per job, so a busy conversation cannot starve another', async () => {
    handled.length = 0;
    const { jobs } = setup();
    const a = await conversation();
    const b = await conversation();
    for (const text of ['a1', 'a2', 'a3']) await acceptCustomerMessage(database.pool, a, text, text);
    await acceptCustomerMessage(database.pool, b, 'b1', 'b1');
    await jobs.enqueue('agent.turn', { conversationId: a });
    await jobs.enqueue('agent.turn', { conversationId: b });
    await jobs.drain();
    const tag = (id: string) => id.slice(-4);
    expect(handled).toEqual([`${tag(a)}:a1`, `${tag(b)}:b1`, `${tag(a)}:a2`, `${tag(a)}:a3`]);
    const { rows } = await database.pool.query(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND turn_status = 'done'`,
      [a],
    );
    expect(rows[0].n).toBe(3);
  });

  it('hands the agent a stored button press as its structured input, a typed message as a message', async () => {
    const { jobs } = setup();
    const id = await conversation();
    const actionId = 'act_0123456789abcdef';
    await acceptCustomerMessage(database.pool, id, 'yes', 'typed');
    await acceptCustomerMessage(database.pool, id, { kind: 'confirm', actionId }, 'pressed');
    await acceptCustomerMessage(database.pool, id, { kind: 'verify_code', code: '482913' }, 'code');
    inputs.length = 0;
    await jobs.enqueue('agent.turn', { conversationId: id });
    await jobs.drain();
    expect(inputs).toEqual([
      { kind: 'message', text: 'yes' },
      { kind: 'confirm', actionId },
      { kind: 'verify_code', code: '••••••' },
    ]);
  });

  it('publishes the turn events and the stored replies on the conversation channel', async () => {
    const { jobs, bus } = setup();
    const id = await conversation();
    const seen: LiveEvent[] = [];
    await bus.subscribe(`conversation:${id}`, (event) => seen.push(event));
    const { messageId } = await acceptCustomerMessage(database.pool, id, 'hello', 'hello');
    await jobs.enqueue('agent.turn', { conversationId: id });
    await jobs.drain();
    expect(seen.map((event) => event.kind)).toEqual(['turn', 'turn', 'status', 'message']);
    expect(seen[0]).toMatchObject({
      kind: 'turn',
      turnId: messageId,
      event: { type: 'message', text: 're: hello' },
    });
    expect(seen[3]).toMatchObject({ kind: 'message', message: { role: 'agent', text: 're: hello' } });
  });

  it('gives up on a turn that keeps crashing, leaves a note, and goes on with the next message', async () => {
    handled.length = 0;
    failing = new Set(['poison']);
    const { turns } = setup();
    const id = await conversation();
    const poison = await acceptCustomerMessage(database.pool, id, 'poison', 'p');
    await acceptCustomerMessage(database.pool, id, 'fine', 'f');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(turns.handleTurn(id)).rejects.toThrow(/crashed/);
    }
    await turns.handleTurn(id);
    await turns.handleTurn(id);
    const { rows } = await database.pool.query<{ body: string; turn_status: string | null; role: string }>(
      'SELECT role, body, turn_status FROM messages WHERE conversation_id = $1 ORDER BY id',
      [id],
    );
    expect(rows.find((row) => row.body === 'poison')?.turn_status).toBe('failed');
    expect(rows.some((row) => row.role === 'system' && row.body.includes(poison.messageId))).toBe(true);
    expect(rows.find((row) => row.body === 'fine')?.turn_status).toBe('done');
    failing = new Set();
  });

  it('re-enqueues turns left pending (a lost job) when recovering', async () => {
    handled.length = 0;
    const { turns, jobs } = setup();
    const id = await conversation();
    await acceptCustomerMessage(database.pool, id, 'lost', 'lost');
    expect(await turns.recoverPendingTurns(60_000)).not.toContain(id);
    expect(await turns.recoverPendingTurns(0)).toContain(id);
    await jobs.drain();
    expect(handled).toEqual([`${id.slice(-4)}:lost`]);
  });

  it('mails the replies of an email conversation to the contact once, even when the turn is replayed', async () => {
    const { jobs } = setup(createOutbox({ db: database.pool, ...defaultSender }));
    const id = 'conv_email_thread_1';
    await database.pool.query(
      `INSERT INTO conversations (id, channel, contact_id, account_id, subject) VALUES ($1, 'email', 'ct_1', 'acc_1', 'Rate limits')`,
      [id],
    );
    const { messageId } = await acceptCustomerMessage(database.pool, id, 'what are the api limits', 'mail-1');
    await jobs.enqueue('agent.turn', { conversationId: id });
    await jobs.drain();
    // A crash after the reply: the turn runs again.
    await database.pool.query(`UPDATE messages SET turn_status = 'pending' WHERE id = $1`, [messageId]);
    await jobs.enqueue('agent.turn', { conversationId: id });
    await jobs.drain();
    const turn = await database.pool.query('SELECT turn_status, turn_attempts FROM messages WHERE id = $1', [
      messageId,
    ]);
    expect(turn.rows[0]).toEqual({ turn_status: 'done', turn_attempts: 2 });
    const { rows } = await database.pool.query(
      `SELECT to_address, subject, text_body, template FROM email_outbox WHERE conversation_id = $1`,
      [id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ to_address: 'maya@brightpath.io', template: 'conversation_reply' });
    expect(rows[0].subject).toMatch(/^Re: Rate limits/);
    expect(rows[0].text_body).toContain('re: what are the api limits');
  });
});
