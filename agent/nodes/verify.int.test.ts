import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../app/wiring.ts';
import type { Database } from '../../db/database.ts';
import { extractCode } from '../../evals/mailbox.ts';
import { duplicateChargeWorld, eventOf, replies, wireAgent } from '../../test/support/agent-harness.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import type { AgentEvent, CustomerSession } from '../events.ts';
import type { TurnInput } from '../turn-input.ts';

/**
 * Issue #20 finding 3: a verification request as the first message of an anonymous conversation sent
 * no code; the next code typed was read as the email ("I've sent a code" while none was), and as no
 * code was outstanding, wrong codes were never counted — the customer looped. Driven through the
 * in-process conversation driver (conversations/direct.ts) on the real database.
 */
const now = new Date('2026-11-20T09:00:00Z');
const visitor: CustomerSession = { contactId: null, verified: false, channel: 'chat' };
const maya = { contactId: 'ct_1', email: 'maya@brightpath.io' };

let database: Database;
let switchboard: Switchboard;
let conversations = 0;
const nextConversation = () => `conv_verify_first_${++conversations}`;

const send = async (id: string, input: TurnInput | string): Promise<AgentEvent[]> => {
  const events: AgentEvent[] = [];
  for await (const event of switchboard.conversations.converse(id, input, visitor)) events.push(event);
  return events;
};
const codeMails = async (id: string) =>
  (
    await database.pool.query<{ to_address: string; text_body: string }>(
      `SELECT to_address, text_body FROM email_outbox
        WHERE conversation_id = $1 AND template = 'verification_code' ORDER BY created_at`,
      [id],
    )
  ).rows;
const openCodes = async (id: string) =>
  (
    await database.pool.query<{ contact_id: string; attempts: number }>(
      'SELECT contact_id, attempts FROM verification_codes WHERE conversation_id = $1 AND consumed_at IS NULL',
      [id],
    )
  ).rows;
const verified = async (id: string) =>
  (await database.pool.query('SELECT verified, contact_id FROM conversations WHERE id = $1', [id])).rows[0];
/** A six-digit code that is not `code`. */
const wrongOf = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

beforeAll(async () => {
  database = await createTestDatabase();
  switchboard = await wireAgent(database, duplicateChargeWorld, now);
}, 120_000);
afterAll(async () => {
  await switchboard?.close();
  await database?.close();
});

describe(`a verification request as an anonymous conversation's first message on ${testDatabaseKind()}`, () => {
  it('sends exactly one code to the address on file; a wrong code counts; the right code verifies', async () => {
    const id = nextConversation();
    const first = await send(id, `Please verify me. My account email is ${maya.email}`);
    expect(replies(first)).toContain("I've sent a 6-digit code");
    expect(eventOf(first, 'verification-request')).toBeDefined();
    const mails = await codeMails(id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to_address).toBe(maya.email);
    expect(await openCodes(id)).toEqual([{ contact_id: maya.contactId, attempts: 0 }]);
    const code = extractCode(mails[0]!.text_body)!;
    expect(code).toMatch(/^\d{6}$/);

    const wrong = await send(id, wrongOf(code));
    expect(replies(wrong)).toContain("doesn't match");
    expect(await openCodes(id)).toEqual([{ contact_id: maya.contactId, attempts: 1 }]);
    const wrongPressed = await send(id, { kind: 'verify_code', code: wrongOf(wrongOf(code)) });
    expect(replies(wrongPressed)).toContain("doesn't match");
    expect(await openCodes(id)).toEqual([{ contact_id: maya.contactId, attempts: 2 }]);

    const right = await send(id, code);
    expect(replies(right)).toContain('you are verified');
    expect(await verified(id)).toEqual({ verified: true, contact_id: maya.contactId });
    expect(await codeMails(id)).toHaveLength(1);
  }, 60_000);

  it('never answers a code typed before any was sent with "I\'ve sent a code"; it asks for the email', async () => {
    const id = nextConversation();
    const first = await send(id, 'Hi, I think I was charged twice this month.');
    expect(eventOf(first, 'slot-request')?.slot).toBe('email');
    expect(await codeMails(id)).toHaveLength(0);

    const early = await send(id, '123456');
    expect(replies(early)).not.toContain("I've sent");
    expect(replies(early)).toContain("haven't sent you a code yet");
    expect(eventOf(early, 'slot-request')?.slot).toBe('email');
    expect(await codeMails(id)).toHaveLength(0);
    expect(await openCodes(id)).toEqual([]);

    await send(id, maya.email);
    const mails = await codeMails(id);
    expect(mails).toHaveLength(1);
    const code = extractCode(mails[0]!.text_body)!;
    const wrong = await send(id, wrongOf(code));
    expect(replies(wrong)).toContain("doesn't match");
    expect(await openCodes(id)).toEqual([{ contact_id: maya.contactId, attempts: 1 }]);
    expect(replies(await send(id, code))).toContain('you are verified');
  }, 60_000);

  it('locks after the attempt limit of wrong codes, however the conversation began', async () => {
    const id = nextConversation();
    await send(id, `Please verify me. My account email is ${maya.email}`);
    const code = extractCode((await codeMails(id))[0]!.text_body)!;
    let last: AgentEvent[] = [];
    let wrong = code;
    for (let attempt = 1; attempt <= 5; attempt++) {
      wrong = wrongOf(wrong);
      last = await send(id, wrong);
    }
    expect(replies(last)).toContain('too many times');
    expect(eventOf(last, 'escalation')?.reason).toBe('security_sensitive');
    expect(replies(await send(id, code))).not.toContain('you are verified');
    expect((await verified(id)).verified).toBe(false);
  }, 60_000);

  it('answers an address nobody has exactly like one on file: wrong codes count and lock, nothing is sent', async () => {
    const known = nextConversation();
    const unknown = nextConversation();
    const askedKnown = await send(known, `Please verify me. My account email is ${maya.email}`);
    const askedUnknown = await send(unknown, 'Please verify me. My account email is nobody@elsewhere.test');
    // The same words (the masked address aside), so the reply says nothing about who has an account.
    const masked = (text: string) => text.replace(/\([^)]*@[^)]*\)/g, '(…)');
    expect(masked(replies(askedUnknown))).toBe(masked(replies(askedKnown)));
    expect(await codeMails(unknown)).toHaveLength(0);
    let last: AgentEvent[] = [];
    let wrong = '246810';
    for (let attempt = 1; attempt <= 5; attempt++) {
      wrong = wrongOf(wrong);
      last = await send(unknown, wrong);
      if (attempt < 5) expect(replies(last)).toContain("doesn't match");
    }
    expect(replies(last)).toContain('too many times');
    expect(eventOf(last, 'escalation')?.reason).toBe('security_sensitive');
    expect((await verified(unknown)).verified).toBe(false);
  }, 60_000);

  it('asks for the account email (sends nothing) when the first message names an address to change to', async () => {
    const id = nextConversation();
    const first = await send(id, 'Please change my email to maya.new@brightpath.io');
    expect(eventOf(first, 'slot-request')?.slot).toBe('email');
    expect(await codeMails(id)).toHaveLength(0);
  }, 60_000);
});
