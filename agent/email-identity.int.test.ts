import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../app/wiring.ts';
import { sessionOf } from '../conversations/turns.ts';
import type { Database } from '../db/database.ts';
import { maskedCode } from '../db/one-time-codes.ts';
import {
  duplicateChargeWorld,
  eventOf,
  replies,
  rewire,
  send,
  wireAgent,
} from '../test/support/agent-harness.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';

const now = new Date('2026-11-20T09:00:00Z');

const world = duplicateChargeWorld;

/** The sessions the turn processor builds for stored messages (conversations/turns.ts `sessionOf`). */
const emailFromMaya = (aligned: boolean) =>
  sessionOf({
    metadata: {
      channel: 'email',
      from: 'maya@brightpath.io',
      mail_auth: { dmarc: aligned ? 'pass' : 'fail', aligned, spf: 'none', dkim: aligned ? 'pass' : 'none' },
    },
    contact_id: 'ct_1',
    verified: true,
    verified_by: 'token',
  });
const chatWithToken = sessionOf({ metadata: {}, contact_id: 'ct_1', verified: true, verified_by: 'token' });

describe(`the email channel's identity model on ${testDatabaseKind()}`, () => {
  let database: Database;
  let switchboard: Switchboard;
  let conversation = 0;
  const nextConversation = () => `conv_mail_${++conversation}`;
  const count = async (sql: string, values: unknown[] = []) =>
    Number((await database.pool.query(sql, values)).rows[0].count);
  /** The code in the conversation's newest verification email to `to`. */
  const latestCode = async (to: string, conversationId: string) => {
    const { rows } = await database.pool.query(
      `SELECT text_body FROM email_outbox WHERE to_address = $1 AND conversation_id = $2 AND template = 'verification_code'
        ORDER BY created_at DESC LIMIT 1`,
      [to, conversationId],
    );
    return String(rows[0].text_body).match(/\b\d{6}\b/)![0];
  };

  const resetRefunds = async () => {
    await database.pool.query('DELETE FROM refunds');
    await database.pool.query(`UPDATE payments SET status = 'succeeded'`);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    switchboard = await wireAgent(database, world, now, { articles: ['refund-policy'] });
  }, 120_000);
  afterAll(async () => {
    await switchboard?.close();
    await database?.close();
  });

  it('builds email sessions from the message alone: never a token, the sender only with aligned DMARC', () => {
    expect(emailFromMaya(true)).toEqual({
      contactId: 'ct_1',
      verified: false,
      channel: 'email',
      mailboxProven: true,
    });
    expect(emailFromMaya(false)).toEqual({ contactId: null, verified: false, channel: 'email' });
    expect(chatWithToken).toEqual({
      contactId: 'ct_1',
      verified: true,
      channel: 'chat',
      verifiedBy: 'token',
    });
  });

  it('sends a document to the address on file for an aligned DMARC pass, but asks for the code before a refund', async () => {
    await resetRefunds();
    const id = nextConversation();
    const copy = await send(
      switchboard,
      id,
      'Could you email me a copy of invoice INV-1001?',
      emailFromMaya(true),
    );
    expect(eventOf(copy, 'verification-request')).toBeUndefined();
    expect(
      await count(
        `SELECT count(*) FROM email_outbox WHERE conversation_id = $1 AND template = 'invoice_copy'`,
        [id],
      ),
    ).toBe(1);

    const refund = await send(switchboard, id, 'I was also charged twice this month', emailFromMaya(true));
    expect(eventOf(refund, 'confirmation-request')).toBeUndefined();
    expect(eventOf(refund, 'verification-request')).toBeDefined();
    const verified = await send(
      switchboard,
      id,
      await latestCode('maya@brightpath.io', id),
      emailFromMaya(true),
    );
    expect(eventOf(verified, 'confirmation-request')).toBeDefined();
    expect(await count('SELECT count(*) FROM refunds')).toBe(0);
    await send(switchboard, id, 'yes', emailFromMaya(true));
    expect(await count(`SELECT count(*) FROM refunds WHERE payment_id = 'pay_2'`)).toBe(1);
  });

  it('never lets an email act on a verification earned in the chat', async () => {
    await resetRefunds();
    const id = nextConversation();
    await send(switchboard, id, 'What is your refund policy?', chatWithToken);
    // A forged mail (no DMARC pass) joined to the token-verified conversation: an unverified visitor.
    const forged = await send(switchboard, id, 'I was charged twice, refund it please', emailFromMaya(false));
    expect(eventOf(forged, 'confirmation-request')).toBeUndefined();
    expect(replies(forged)).toMatch(/email address on your Lumen Cloud account/);
    const yes = await send(switchboard, id, 'yes', emailFromMaya(false));
    expect(eventOf(yes, 'confirmation-request')).toBeUndefined();
    // Even an aligned one only proves the mailbox for reads: the refund waits for the code.
    const aligned = await send(switchboard, id, 'I was charged twice, refund it please', emailFromMaya(true));
    expect(eventOf(aligned, 'confirmation-request')).toBeUndefined();
    expect(eventOf(aligned, 'verification-request')).toBeDefined();
    expect(await count('SELECT count(*) FROM refunds')).toBe(0);
  });

  it('lets an unauthenticated sender act after the code, and only while the code is fresh', async () => {
    await resetRefunds();
    const id = nextConversation();
    const visitor = emailFromMaya(false);
    const first = await send(switchboard, id, 'I was charged twice this month', visitor);
    expect(replies(first)).toMatch(/email address on your Lumen Cloud account/);
    await send(switchboard, id, 'It is maya@brightpath.io', visitor);
    const verified = await send(switchboard, id, await latestCode('maya@brightpath.io', id), visitor);
    expect(eventOf(verified, 'confirmation-request')).toBeDefined();

    // 31 minutes later the emailed code no longer vouches for a new email's yes.
    const later = await rewire(database, new Date(now.getTime() + 31 * 60_000));
    try {
      const stale = await send(later, id, 'yes', visitor);
      expect(await count('SELECT count(*) FROM refunds')).toBe(0);
      expect(eventOf(stale, 'confirmation-request')).toBeUndefined();
    } finally {
      await later.close();
    }
  });

  it('changes the account email only with a code from the old address and one from the new, and tells the old address', async () => {
    const id = nextConversation();
    const asked = await send(
      switchboard,
      id,
      'Please change my email address to maya.new@brightpath.io',
      chatWithToken,
    );
    // A token is not enough: the old address confirms first.
    expect(eventOf(asked, 'confirmation-request')).toBeUndefined();
    expect(eventOf(asked, 'verification-request')).toBeDefined();
    const oldCode = await latestCode('maya@brightpath.io', id);
    const proven = await send(switchboard, id, oldCode, chatWithToken);
    expect(replies(proven)).toMatch(/sent a 6-digit code there/);
    expect(eventOf(proven, 'confirmation-request')).toBeUndefined();

    const wrong = await send(switchboard, id, oldCode === '123456' ? '654321' : '123456', chatWithToken);
    expect(replies(wrong)).toMatch(/doesn't match/);
    const confirmed = await send(
      switchboard,
      id,
      await latestCode('maya.new@brightpath.io', id),
      chatWithToken,
    );
    expect(eventOf(confirmed, 'confirmation-request')?.actions).toEqual([
      { connector: 'crm', operation: 'update_contact', input: { email: 'maya.new@brightpath.io' } },
    ]);
    expect(await count(`SELECT count(*) FROM contacts WHERE email = 'maya.new@brightpath.io'`)).toBe(0);
    await send(switchboard, id, 'yes', chatWithToken);
    expect(
      await count(`SELECT count(*) FROM contacts WHERE id = 'ct_1' AND email = 'maya.new@brightpath.io'`),
    ).toBe(1);
    expect(
      await count(
        `SELECT count(*) FROM email_outbox WHERE conversation_id = $1 AND template = 'email_address_changed'
           AND to_address = 'maya@brightpath.io'`,
        [id],
      ),
    ).toBe(1);
    expect(
      await count(
        `SELECT count(*) FROM email_outbox WHERE conversation_id = $1 AND template = 'contact_updated'
           AND to_address = 'maya.new@brightpath.io'`,
        [id],
      ),
    ).toBe(1);

    // The codes were typed three times; none is kept in the transcript or the checkpointed state.
    const { rows } = await database.pool.query(
      `SELECT body, metadata FROM messages WHERE conversation_id = $1 AND role = 'customer' ORDER BY id`,
      [id],
    );
    const typed = rows.filter((row) => row.body.includes(maskedCode));
    expect(typed).toHaveLength(3);
    for (const row of rows) expect(row.body).not.toMatch(/\d{6}/);
    for (const row of typed) expect(row.metadata.code_hashes).toHaveLength(1);
    const state = await switchboard.agent.graph.getState({ configurable: { thread_id: id } });
    expect(JSON.stringify(state.values.transcript)).not.toContain(oldCode);
    await database.pool.query(`UPDATE contacts SET email = 'maya@brightpath.io' WHERE id = 'ct_1'`);
  });
});
