import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { createTestApi, type TestApi, testIdentitySecret } from '../../test/support/api-harness.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import { dataParts, parseUiStream, streamedText } from '../../test/support/ui-stream.ts';

/**
 * Issue #20 finding 2: a conversation access token never expired and could not be revoked, so a
 * leaked token opened a verified customer's transcript forever. Now it expires after a configured
 * time without use (sliding, stored server side), is revoked on sign-out, and is replaced when a
 * one-time code verifies the visitor.
 */
const ttlMs = 60 * 60_000;
const maya = demoCustomers.duplicateCharge;
let api: TestApi;

type Conversation = { conversationId: string; accessToken: string };

async function start(identityToken?: string): Promise<Conversation> {
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/conversations',
    payload: identityToken ? { identityToken } : {},
  });
  expect(response.statusCode).toBe(201);
  return response.json();
}
const view = (conversation: Conversation, token = conversation.accessToken) =>
  api.app.inject({
    method: 'GET',
    url: `/api/conversations/${conversation.conversationId}`,
    headers: { authorization: `Bearer ${token}` },
  });
const post = (conversation: Conversation, path: string, payload: object, token = conversation.accessToken) =>
  api.app.inject({
    method: 'POST',
    url: `/api/conversations/${conversation.conversationId}${path}`,
    headers: { authorization: `Bearer ${token}` },
    payload,
  });
const events = (conversation: Conversation, token = conversation.accessToken) =>
  api.app.inject({
    method: 'GET',
    url: `/api/conversations/${conversation.conversationId}/events?access_token=${encodeURIComponent(token)}`,
  });
const revoke = (conversation: Conversation, token = conversation.accessToken) =>
  api.app.inject({
    method: 'POST',
    url: `/api/conversations/${conversation.conversationId}/access-token/revoke`,
    headers: { authorization: `Bearer ${token}` },
  });
/** Milliseconds until the stored expiry (the database clock). */
async function expiresInMs(conversation: Conversation): Promise<number | null> {
  const { rows } = await api.database.pool.query<{ left_ms: number | null }>(
    `SELECT (extract(epoch FROM access_token_expires_at - now()) * 1000)::float8 AS left_ms
       FROM conversations WHERE id = $1`,
    [conversation.conversationId],
  );
  return rows[0]!.left_ms;
}
const storedMessages = async (conversation: Conversation) =>
  Number(
    (
      await api.database.pool.query('SELECT count(*) FROM messages WHERE conversation_id = $1', [
        conversation.conversationId,
      ])
    ).rows[0].count,
  );

function expect401(response: { statusCode: number; json: () => unknown }, words: string) {
  expect(response.statusCode).toBe(401);
  const body = response.json() as { error: { code: string; message: string } };
  expect(body.error.code).toBe('unauthorized');
  expect(body.error.message).toContain(words);
}

beforeAll(async () => {
  api = await createTestApi({ settings: { conversationTokenTtlMs: ttlMs } });
}, 120_000);
afterAll(async () => api?.close());

describe(`conversation access tokens on ${testDatabaseKind()}`, () => {
  it('expire after the configured time without use, and each use extends them (sliding)', async () => {
    const conversation = await start();
    expect(await expiresInMs(conversation)).toBeNull();
    expect((await view(conversation)).statusCode).toBe(200);
    const first = (await expiresInMs(conversation))!;
    expect(first).toBeGreaterThan(ttlMs - 60_000);
    expect(first).toBeLessThanOrEqual(ttlMs);

    // Most of its life used up: the next use gives it the whole lifetime again.
    await api.database.pool.query(
      `UPDATE conversations SET access_token_expires_at = now() + interval '5 minutes' WHERE id = $1`,
      [conversation.conversationId],
    );
    expect((await view(conversation)).statusCode).toBe(200);
    expect(await expiresInMs(conversation)).toBeGreaterThan(ttlMs - 60_000);

    await api.database.pool.query(
      `UPDATE conversations SET access_token_expires_at = now() - interval '1 second' WHERE id = $1`,
      [conversation.conversationId],
    );
    expect401(await view(conversation), 'expired');
    expect401(await events(conversation), 'expired');
    expect401(await post(conversation, '/messages', { text: 'still there?' }), 'expired');
    expect(await storedMessages(conversation)).toBe(0);
    // An expired token is not revived by trying it.
    expect((await expiresInMs(conversation))!).toBeLessThan(0);
  });

  it('expire from the start of the conversation when never used', async () => {
    const conversation = await start();
    await api.database.pool.query(
      `UPDATE conversations SET created_at = now() - interval '2 hours' WHERE id = $1`,
      [conversation.conversationId],
    );
    expect401(await view(conversation), 'expired');
  });

  it('are revoked on sign-out: every later call answers 401, and nothing is stored', async () => {
    const conversation = await start(
      await new SignJWT({ email: maya.email })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(testIdentitySecret)),
    );
    expect((await view(conversation)).statusCode).toBe(200);
    const revoked = await revoke(conversation);
    expect(revoked.statusCode).toBe(204);
    expect401(await view(conversation), 'revoked');
    expect401(await events(conversation), 'revoked');
    expect401(await post(conversation, '/messages', { text: 'hello again' }), 'revoked');
    expect401(await revoke(conversation), 'revoked');
    expect(await storedMessages(conversation)).toBe(0);
    // Another conversation's token still cannot revoke this one (or tell it exists).
    const other = await start();
    expect((await revoke(other, conversation.accessToken)).statusCode).toBe(404);
    expect((await revoke({ ...conversation, accessToken: other.accessToken })).statusCode).toBe(404);
    expect((await view(other)).statusCode).toBe(200);
  });

  it('are replaced when a one-time code verifies the visitor: the new token is streamed, the old one stops working', async () => {
    const conversation = await start();
    const sent = await post(conversation, '/verification', { email: maya.email });
    expect(sent.statusCode).toBe(200);
    expect(dataParts(parseUiStream(sent.body), 'access-token')).toHaveLength(0);
    const { rows: mails } = await api.database.pool.query(
      `SELECT text_body FROM email_outbox WHERE conversation_id = $1 AND template = 'verification_code'`,
      [conversation.conversationId],
    );
    const code = /\b(\d{6})\b/.exec(mails[0].text_body)?.[1] as string;
    const verified = await post(conversation, '/verification/confirm', { code });
    const chunks = parseUiStream(verified.body);
    expect(streamedText(chunks)).toContain('you are verified');
    const handedOver = dataParts(chunks, 'access-token');
    expect(handedOver).toHaveLength(1);
    const fresh = handedOver[0]!.data!.accessToken as string;
    expect(fresh).not.toBe(conversation.accessToken);
    expect(fresh.length).toBeGreaterThan(30);

    expect401(await view(conversation), 'replaced');
    expect401(await events(conversation), 'replaced');
    expect401(await post(conversation, '/messages', { text: 'show me my invoices' }), 'replaced');
    const withNew = await view(conversation, fresh);
    expect(withNew.statusCode).toBe(200);
    expect(withNew.json().verified).toBe(true);
    expect((await expiresInMs(conversation))!).toBeGreaterThan(ttlMs - 60_000);
    // A resend of the verifying request with the old token does not mint another token.
    expect401(await post(conversation, '/verification/confirm', { code }), 'replaced');
  });

  it('refuse a token issued before verification even when its replacement never reached the client', async () => {
    const conversation = await start();
    expect((await view(conversation)).statusCode).toBe(200);
    // Verified by a code while no stream was open to hand over the new token (e.g. a slow worker).
    await api.database.pool.query(
      `UPDATE conversations SET verified = true, verified_by = 'email_code', contact_id = $2 WHERE id = $1`,
      [conversation.conversationId, maya.contact],
    );
    expect401(await view(conversation), 'replaced');
  });

  it('of a customer verified by an identity token at the start are not rotated', async () => {
    const conversation = await start(
      await new SignJWT({ email: maya.email })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(testIdentitySecret)),
    );
    const sent = await post(conversation, '/messages', { text: 'Hi, how do I set up SAML SSO?' });
    expect(sent.statusCode).toBe(200);
    expect(dataParts(parseUiStream(sent.body), 'access-token')).toHaveLength(0);
    expect((await view(conversation)).statusCode).toBe(200);
  });
});
