import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../db/world/demo-world.ts';
import { createTestApi, type TestApi } from '../test/support/api-harness.ts';
import { testDatabaseKind } from '../test/support/database.ts';
import { mailDomainOf, plainMail, receiveMail } from '../test/support/mail-channel.ts';

/** The email channel's rating link: mailed once a conversation is answered, usable once, for it alone. */
const maya = demoCustomers.duplicateCharge;
const mail = mailDomainOf(maya.email);

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({
    inboundMail: { resolver: mail.resolver },
    publicBaseUrl: 'https://help.lumen.example/support',
  });
}, 120_000);
afterAll(async () => api?.close());

/** Receives a signed mail from Maya and waits until its turn is done; returns its conversation. */
async function receive(subject: string, text: string) {
  const messageId = mail.messageId();
  const raw = await mail.sign(plainMail({ from: `Maya Chen <${maya.email}>`, subject, text, messageId }));
  return (await receiveMail(api, raw, messageId)).conversation_id;
}

const replyText = async (conversationId: string) =>
  (
    await api.database.pool.query(
      `SELECT text_body FROM email_outbox WHERE conversation_id = $1 AND template = 'conversation_reply'
        ORDER BY created_at DESC LIMIT 1`,
      [conversationId],
    )
  ).rows[0]?.text_body as string | undefined;

const rateLink = /https:\/\/help\.lumen\.example\/support\/rate\/(\S+)/;

describe(`CSAT by email (${testDatabaseKind()})`, () => {
  it('mails a rating link with an answer; the link rates that conversation once, as email', async () => {
    const conversationId = await receive(
      'API limits',
      'How many API requests per minute can I make on the Pro plan?',
    );
    const text = await replyText(conversationId);
    expect(text).toMatch(/1,000/);
    const token = decodeURIComponent(rateLink.exec(text ?? '')?.[1] ?? '');
    expect(token.startsWith(`${conversationId}.`)).toBe(true);

    const state = await api.app.inject({ method: 'GET', url: `/api/csat/${encodeURIComponent(token)}` });
    expect(state.json()).toEqual({ state: 'open' });
    const rated = await api.app.inject({
      method: 'POST',
      url: `/api/csat/${encodeURIComponent(token)}`,
      payload: { rating: 5, comment: 'Straight to the point' },
    });
    expect(rated.statusCode).toBe(201);
    const again = await api.app.inject({
      method: 'POST',
      url: `/api/csat/${encodeURIComponent(token)}`,
      payload: { rating: 1 },
    });
    expect(again.statusCode).toBe(409);
    const { rows } = await api.database.pool.query(
      'SELECT rating, comment, channel FROM csat_ratings WHERE conversation_id = $1',
      [conversationId],
    );
    expect(rows).toEqual([{ rating: 5, comment: 'Straight to the point', channel: 'email' }]);
  });

  it('refuses a link whose signature does not match, and mails none while a person has the conversation', async () => {
    const forged = `conv_${'0'.repeat(32)}.${'A'.repeat(32)}`;
    const refused = await api.app.inject({
      method: 'POST',
      url: `/api/csat/${forged}`,
      payload: { rating: 5 },
    });
    expect(refused.statusCode).toBe(404);
    expect((await api.app.inject({ method: 'GET', url: `/api/csat/${forged}` })).statusCode).toBe(404);

    const conversationId = await receive('Help', 'I want to talk to a human being, please.');
    const { rows } = await api.database.pool.query('SELECT status FROM conversations WHERE id = $1', [
      conversationId,
    ]);
    expect(rows[0].status).toBe('escalated');
    const text = await replyText(conversationId);
    expect(text).toBeTruthy();
    expect(text).not.toMatch(rateLink);
  });
});
