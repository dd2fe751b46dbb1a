import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeReplyFixture, replyFixture } from '../connectors/email/inbound/fixtures/reply-fixtures.ts';
import { turnInputOf } from '../conversations/turns.ts';
import { demoCustomers } from '../db/world/demo-world.ts';
import { createTestApi, type TestApi } from '../test/support/api-harness.ts';
import { testDatabaseKind } from '../test/support/database.ts';
import { mailDomainOf, receiveMail } from '../test/support/mail-channel.ts';

/**
 * Only the new text of a reply is read: a client's reply through the `email.inbound` job, the turn
 * processor and the agent, on a seeded world; the whole mail stays on the message for humans. Machine
 * mail (an auto-reply, our own mail coming back) is stored and never answered.
 */
const maya = demoCustomers.duplicateCharge;
const mail = mailDomainOf(maya.email);
const { domain } = mail;

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ inboundMail: { resolver: mail.resolver } });
}, 120_000);
afterAll(async () => api?.close());

const query = async (sql: string, values: unknown[] = []) =>
  (await api.database.pool.query(sql, values)).rows;

/** Receives a raw mail (DKIM-signed by Maya's domain) and waits until its message's turn is done. */
const receive = async (raw: string, messageId: string) => receiveMail(api, await mail.sign(raw), messageId);

/** A thread with Maya: her first mail, answered by the agent. Returns it and our reply's Message-ID. */
async function openThread() {
  const messageId = `<${randomUUID()}@${domain}>`;
  const raw = [
    `From: Maya Chen <${maya.email}>`,
    'To: support@lumen.example',
    'Subject: Invoice copy',
    `Message-ID: ${messageId}`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello, could you send me a copy of my last invoice?',
    '',
  ].join('\r\n');
  const first = await receive(raw, messageId);
  const [sent] = await query(
    `SELECT message_id FROM email_outbox WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 1`,
    [first.conversation_id],
  );
  return { conversationId: first.conversation_id, ourMessageId: sent.message_id as string };
}

const outboxCount = async (conversationId: string) =>
  Number(
    (await query('SELECT count(*) FROM email_outbox WHERE conversation_id = $1', [conversationId]))[0].count,
  );

describe(`only the new text of an email is read (${testDatabaseKind()})`, () => {
  it('stores a Gmail reply’s new text as what the agent reads and keeps the whole mail for humans', async () => {
    const thread = await openThread();
    const fixture = replyFixture('gmail-en-plain');
    const messageId = `<${randomUUID()}@${domain}>`;
    const raw = await composeReplyFixture(fixture, {
      from: `Maya Chen <${maya.email}>`,
      messageId,
      inReplyTo: thread.ourMessageId,
    });
    const stored = await receive(raw.toString('utf8'), messageId);

    expect(stored.conversation_id).toBe(thread.conversationId);
    expect(stored.body).toBe(
      'The invoice for March (INV-2041) is still missing from my account.\nCould you send it again?',
    );
    // The turn processor's input for this row: the new text, nothing of the quote or the sign-off.
    expect(turnInputOf(stored)).toEqual({ kind: 'message', text: stored.body });
    expect(stored.metadata).toMatchObject({ quote_removed: true, text_extraction: 'reply' });
    const original = stored.metadata.email as { full_text: string };
    expect(original.full_text).toContain('Thanks,\nMaya');
    expect(original.full_text).toContain('> your refund of EUR 40 was issued.');
    expect(stored.metadata.loop).toBeUndefined();
  });

  it('stores an out-of-office reply in its thread and never answers it', async () => {
    const thread = await openThread();
    const before = await outboxCount(thread.conversationId);
    const messageId = `<${randomUUID()}@${domain}>`;
    const raw = await composeReplyFixture(
      {
        name: 'out-of-office',
        client: 'Outlook',
        text: 'I am out of the office until Monday.',
        expected: '',
      },
      {
        from: `Maya Chen <${maya.email}>`,
        messageId,
        inReplyTo: thread.ourMessageId,
        headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
      },
    );
    const stored = await receive(raw.toString('utf8'), messageId);

    expect(stored.conversation_id).toBe(thread.conversationId);
    expect(stored.metadata.loop).toBe('auto_submitted');
    // Give a wrongly queued turn time to answer before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await outboxCount(thread.conversationId)).toBe(before);
    expect(
      await query(`SELECT 1 FROM messages WHERE conversation_id = $1 AND id > $2`, [
        thread.conversationId,
        stored.id,
      ]),
    ).toEqual([]);
  });

  it('recognises our own sent mail coming back and answers nothing', async () => {
    const thread = await openThread();
    const [sent] = await query(
      `SELECT message_id, text_body FROM email_outbox WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [thread.conversationId],
    );
    const raw = [
      `From: Maya Chen <${maya.email}>`,
      'To: support@lumen.example',
      'Subject: Re: Invoice copy',
      `Message-ID: ${sent.message_id}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      sent.text_body,
      '',
    ].join('\r\n');
    const stored = await receive(raw, sent.message_id);

    expect(stored.metadata.loop).toBe('own_mail');
    const [conversation] = await query('SELECT status FROM conversations WHERE id = $1', [
      stored.conversation_id,
    ]);
    expect(conversation.status).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await outboxCount(stored.conversation_id)).toBe(0);
  });
});
