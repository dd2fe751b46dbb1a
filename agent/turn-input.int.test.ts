import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwitchboard, localIntentClassifier, type Switchboard } from '../app/wiring.ts';
import type { Database } from '../db/database.ts';
import { extractCode } from '../evals/mailbox.ts';
import { duplicateChargeWorld, eventOf, replies, wireAgent } from '../test/support/agent-harness.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import type { AgentEvent, CustomerSession } from './events.ts';
import { createLocalReasoner } from './reasoner/local/local-reasoner.ts';
import type { Reasoner } from './reasoner/reasoner.ts';
import type { TurnInput } from './turn-input.ts';

const now = new Date('2026-11-20T09:00:00Z');
const maya: CustomerSession = { contactId: 'ct_1', verified: true, channel: 'chat', verifiedBy: 'token' };
const visitor: CustomerSession = { contactId: null, verified: false, channel: 'chat' };

const world = duplicateChargeWorld;

/**
 * The local reasoner, counting what it is asked to understand; once `hostile`, it reads every
 * message as a customer who wants a person, declines and tries an injection.
 */
function spyingReasoner(): Reasoner & { understood: string[]; hostile: boolean } {
  const local = createLocalReasoner(localIntentClassifier());
  const spy = {
    kind: local.kind,
    understood: [] as string[],
    hostile: false,
    async understand(message: string, context: Parameters<Reasoner['understand']>[1]) {
      spy.understood.push(message);
      const understanding = await local.understand(message, context);
      if (!spy.hostile) return understanding;
      return {
        ...understanding,
        intents: [{ intent: 'human.request' as const, confidence: 0.99 }],
        cues: { wantsHuman: true, frustration: 3, injection: true, affirmative: false, negative: true },
      };
    },
    phrase: (draft: Parameters<Reasoner['phrase']>[0]) => local.phrase(draft),
  };
  return spy;
}

describe(`structured turn inputs through the agent on ${testDatabaseKind()}`, () => {
  let database: Database;
  let switchboard: Switchboard;
  const reasoner = spyingReasoner();
  let conversation = 0;
  const nextConversation = () => `conv_input_${++conversation}`;
  const refunds = async () =>
    Number((await database.pool.query('SELECT count(*) FROM refunds')).rows[0].count);
  const send = async (id: string, input: TurnInput | string, session: CustomerSession) => {
    const events: AgentEvent[] = [];
    for await (const event of switchboard.conversations.converse(id, input, session)) events.push(event);
    return events;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    // Loads the world and the articles; the agent under test is composed with the spying reasoner.
    await (await wireAgent(database, world, now)).close();
    switchboard = await createSwitchboard({
      database,
      dataDir: '.data/test',
      mode: 'embedded',
      now: () => now,
      reasoner,
      resilience: { retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 5 } },
    });
  }, 120_000);
  afterAll(async () => {
    await switchboard?.close();
    await database?.close();
  });

  it('runs nothing on a Confirm for a stale or unknown request, says so and asks the current one again', async () => {
    const id = nextConversation();
    const first = await send(id, 'Hi, I think I was charged twice this month.', maya);
    const asked = eventOf(first, 'confirmation-request');
    expect(asked?.actionId).toMatch(/^act_[0-9a-f]{16}$/);
    const stale = await send(id, { kind: 'confirm', actionId: 'act_0000000000000000' }, maya);
    expect(await refunds()).toBe(0);
    expect(replies(stale)).toMatch(/request changed/i);
    expect(eventOf(stale, 'confirmation-request')?.actionId).toBe(asked?.actionId);
    expect(eventOf(stale, 'tool-call-start')).toBeUndefined();
    // A decline of the current request never writes.
    const declined = await send(id, { kind: 'decline', actionId: asked!.actionId }, maya);
    expect(replies(declined)).toMatch(/haven't changed anything/);
    expect(eventOf(declined, 'resolution')?.outcome).toBe('answered');
    expect(eventOf(declined, 'tool-call-start')).toBeUndefined();
    expect(await refunds()).toBe(0);
    // Nothing waits any more: the same Confirm is stale now and still runs nothing.
    const late = await send(id, { kind: 'confirm', actionId: asked!.actionId }, maya);
    expect(replies(late)).toMatch(/no longer waiting/);
    expect(await refunds()).toBe(0);
    // The transcript shows what the customer pressed, in their words, and the stored row its input.
    const { rows } = await database.pool.query(
      `SELECT body, metadata FROM messages WHERE conversation_id = $1 AND role = 'customer' ORDER BY id`,
      [id],
    );
    expect(rows.map((row) => row.body)).toEqual([
      'Hi, I think I was charged twice this month.',
      'Yes, please go ahead.',
      "No, please don't do that.",
      'Yes, please go ahead.',
    ]);
    expect(rows[2].metadata.input).toEqual({ kind: 'decline', actionId: asked!.actionId });
  });

  it('carries out a Confirm without asking the reasoner, whatever its words would classify as', async () => {
    const id = nextConversation();
    const asked = eventOf(
      await send(id, 'Hi, I think I was charged twice this month.', maya),
      'confirmation-request',
    );
    reasoner.hostile = true;
    reasoner.understood.length = 0;
    try {
      const confirmed = await send(id, { kind: 'confirm', actionId: asked!.actionId }, maya);
      expect(reasoner.understood).toEqual([]);
      expect(eventOf(confirmed, 'escalation')).toBeUndefined();
      expect(eventOf(confirmed, 'resolution')?.outcome).toBe('resolved');
      expect(replies(confirmed)).toMatch(/refunded \$99\.00/);
      // The same words typed go through the reasoner (here: a hand-over).
      const typed = await send(nextConversation(), 'Yes, please go ahead.', maya);
      expect(reasoner.understood).toEqual(['Yes, please go ahead.']);
      expect(eventOf(typed, 'escalation')).toBeDefined();
    } finally {
      reasoner.hostile = false;
    }
    expect(await refunds()).toBe(1);
  });

  it('verifies a visitor with the email and code forms; the code is never stored or checkpointed', async () => {
    const id = nextConversation();
    const first = await send(id, 'Hi, I think I was charged twice this month.', visitor);
    expect(eventOf(first, 'slot-request')?.slot).toBe('email');
    reasoner.understood.length = 0;
    const sent = await send(id, { kind: 'verify_email', email: 'maya@brightpath.io' }, visitor);
    expect(eventOf(sent, 'verification-request')).toBeDefined();
    const { rows: mails } = await database.pool.query(
      `SELECT text_body FROM email_outbox WHERE conversation_id = $1 AND template = 'verification_code'`,
      [id],
    );
    const code = extractCode(mails[0].text_body)!;
    expect(code).toMatch(/^\d{6}$/);
    const wrong = await send(
      id,
      { kind: 'verify_code', code: code === '000000' ? '000001' : '000000' },
      visitor,
    );
    expect(replies(wrong)).toMatch(/doesn't match/);
    const verified = await send(id, { kind: 'verify_code', code }, visitor);
    expect(replies(verified)).toMatch(/you are verified/);
    // Verified, and the request carries on (its answer follows in the same turn).
    expect(replies(verified).split('\n').length).toBeGreaterThan(1);
    const { rows: conversations } = await database.pool.query(
      'SELECT verified, contact_id FROM conversations WHERE id = $1',
      [id],
    );
    expect(conversations[0]).toEqual({ verified: true, contact_id: 'ct_1' });
    expect(reasoner.understood).toEqual([]);

    const { rows } = await database.pool.query(
      `SELECT body, metadata FROM messages WHERE conversation_id = $1 AND role = 'customer' ORDER BY id`,
      [id],
    );
    expect(rows.map((row) => row.body)).toEqual([
      'Hi, I think I was charged twice this month.',
      'Please verify me. My account email is maya@brightpath.io',
      '••••••',
      '••••••',
    ]);
    expect(rows[3].metadata.input).toEqual({ kind: 'verify_code', code: '••••••' });
    expect(rows[3].metadata.code_hashes).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(code);
    const snapshot = await switchboard.agent.graph.getState({ configurable: { thread_id: id } });
    expect(JSON.stringify(snapshot.values)).not.toContain(code);
  });

  it('answers a code nobody asked for without checking it, and never stores it', async () => {
    const id = nextConversation();
    const events = await send(id, { kind: 'verify_code', code: '123456' }, maya);
    expect(replies(events)).toMatch(/not waiting for a code/);
    const { rows } = await database.pool.query(
      `SELECT body FROM messages WHERE conversation_id = $1 AND role = 'customer'`,
      [id],
    );
    expect(rows.map((row) => row.body)).toEqual(['••••••']);
  });
});
