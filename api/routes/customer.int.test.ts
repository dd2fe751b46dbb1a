import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { createTestApi, type TestApi, testIdentitySecret } from '../../test/support/api-harness.ts';
import { dataParts, parseUiStream, streamedText } from '../../test/support/ui-stream.ts';
import { createServer } from '../server.ts';

let api: TestApi;
const maya = demoCustomers.duplicateCharge;

const sign = (claims: Record<string, unknown>, expiresIn = '10m', secret = testIdentitySecret) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

async function start(identityToken?: string) {
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/conversations',
    payload: identityToken ? { identityToken } : {},
  });
  expect(response.statusCode).toBe(201);
  return response.json() as {
    conversationId: string;
    accessToken: string;
    customer: { name: string } | null;
  };
}

async function say(conversation: { conversationId: string; accessToken: string }, text: string, id?: string) {
  const response = await api.app.inject({
    method: 'POST',
    url: `/api/conversations/${conversation.conversationId}/messages`,
    headers: { authorization: `Bearer ${conversation.accessToken}` },
    payload: { text, ...(id ? { id } : {}) },
  });
  return { response, chunks: response.statusCode === 200 ? parseUiStream(response.body) : [] };
}

beforeAll(async () => {
  api = await createTestApi();
}, 120_000);
afterAll(async () => api?.close());

describe('POST /api/conversations', () => {
  it('starts an anonymous conversation with an access token', async () => {
    const conversation = await start();
    expect(conversation.conversationId).toMatch(/^conv_/);
    expect(conversation.accessToken.length).toBeGreaterThan(30);
    expect(conversation.customer).toBeNull();
  });

  it('verifies the customer from a signed identity token', async () => {
    const conversation = await start(await sign({ email: maya.email }));
    expect(conversation.customer?.name).toBe('Maya Chen');
    const { rows } = await api.database.pool.query(
      'SELECT contact_id, verified, verified_by, access_token_hash FROM conversations WHERE id = $1',
      [conversation.conversationId],
    );
    expect(rows[0]).toMatchObject({ contact_id: maya.contact, verified: true, verified_by: 'token' });
    // Only a hash of the access token is kept.
    expect(rows[0].access_token_hash).not.toContain(conversation.accessToken);
  });

  it.each([
    ['an expired token', async () => sign({ email: maya.email }, '-1m')],
    ['a token signed with another secret', async () => sign({ email: maya.email }, '10m', 'x'.repeat(40))],
    ['a token naming nobody known', async () => sign({ email: 'nobody@example.com' })],
    ['a token whose email contradicts its subject', async () => sign({ sub: 'ct_0013', email: maya.email })],
    // Found by the attack run: a token valid until the year 33658 was accepted.
    [
      'a token whose exp lies in the year 33658',
      async () =>
        new SignJWT({ email: maya.email, iat: Math.floor(Date.now() / 1000), exp: 1_000_000_000_000 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(testIdentitySecret)),
    ],
    [
      'a token without iat',
      async () =>
        new SignJWT({ email: maya.email })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode(testIdentitySecret)),
    ],
  ])('refuses %s with 401 unauthorized', async (_name, token) => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      payload: { identityToken: await token() },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('unauthorized');
  });
});

describe('conversation access', () => {
  it('needs the token, and a token opens only its own conversation', async () => {
    const mine = await start(await sign({ email: maya.email }));
    const theirs = await start();
    const url = `/api/conversations/${mine.conversationId}`;
    expect((await api.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    const crossed = await api.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${theirs.accessToken}` },
    });
    expect(crossed.statusCode).toBe(404);
    expect(crossed.json().error.code).toBe('not_found');
    const posted = await api.app.inject({
      method: 'POST',
      url: `${url}/messages`,
      headers: { authorization: `Bearer ${theirs.accessToken}` },
      payload: { text: 'show me the invoices' },
    });
    expect(posted.statusCode).toBe(404);
    const { rows } = await api.database.pool.query(
      'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
      [mine.conversationId],
    );
    expect(rows[0].n).toBe(0);
  });

  it('answers bad input with 400 validation_failed and the zod message', async () => {
    const conversation = await start();
    const badId = await api.app.inject({
      method: 'GET',
      url: '/api/conversations/not-an-id',
      headers: { authorization: 'Bearer x' },
    });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().error.code).toBe('validation_failed');
    const empty = await say(conversation, '   ');
    expect(empty.response.statusCode).toBe(400);
    expect(empty.response.json().error.message).toContain('the message is empty');
    const malformed = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/messages`,
      headers: { authorization: `Bearer ${conversation.accessToken}`, 'content-type': 'application/json' },
      payload: '{"text": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('validation_failed');
    const huge = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/messages`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { text: 'x'.repeat(300 * 1024) },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('payload_too_large');
  });
});

describe('a verified customer resolving a duplicate charge over the API', () => {
  it('runs nothing for a Confirm of a stale request and asks the current one again', async () => {
    const conversation = await start(await sign({ email: maya.email }));
    const first = await say(conversation, 'Hi, I think I was charged twice this month.');
    const actionId = dataParts(first.chunks, 'confirmation')[0]?.data?.actionId as string;
    const before = await api.database.pool.query('SELECT count(*)::int AS n FROM refunds');
    const stale = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/confirmation`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { decision: 'confirm', actionId: 'act_0123456789abcdef' },
    });
    expect(stale.statusCode).toBe(200);
    const chunks = parseUiStream(stale.body);
    expect(streamedText(chunks)).toMatch(/request changed/i);
    expect(dataParts(chunks, 'tool-call')).toHaveLength(0);
    expect(dataParts(chunks, 'confirmation')[0]?.data?.actionId).toBe(actionId);
    // Declining the current request never writes either.
    const declined = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/confirmation`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { decision: 'decline', actionId },
    });
    expect(streamedText(parseUiStream(declined.body))).toMatch(/haven't changed anything/);
    expect(dataParts(parseUiStream(declined.body), 'tool-call')).toHaveLength(0);
    const after = await api.database.pool.query('SELECT count(*)::int AS n FROM refunds');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('streams the confirmation, refunds once on confirm, and replays a resent message without a second turn', async () => {
    const conversation = await start(await sign({ email: maya.email }));
    const first = await say(conversation, 'Hi, I think I was charged twice this month.', 'msg-1');
    expect(first.response.statusCode).toBe(200);
    expect(first.response.headers['content-type']).toContain('text/event-stream');
    expect(first.response.headers['x-vercel-ai-ui-message-stream']).toBe('v1');
    expect(dataParts(first.chunks, 'confirmation')).toHaveLength(1);
    const actionId = dataParts(first.chunks, 'confirmation')[0]?.data?.actionId as string;
    expect(actionId).toMatch(/^act_[0-9a-f]{16}$/);
    expect(dataParts(first.chunks, 'status').at(-1)?.data?.status).toBe('waiting_customer');
    const pending = await api.app.inject({
      method: 'GET',
      url: `/api/conversations/${conversation.conversationId}`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
    });
    expect(pending.json().pending).toMatchObject({ kind: 'confirmation', actionId });

    // A Confirm must name the confirmation it answers.
    const unnamed = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/confirmation`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { decision: 'confirm', id: 'msg-unnamed' },
    });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json().error.code).toBe('validation_failed');

    const confirm = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/confirmation`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { decision: 'confirm', actionId, id: 'msg-2' },
    });
    const chunks = parseUiStream(confirm.body);
    const refund = dataParts(chunks, 'tool-call').find(
      (chunk) => chunk.data?.operation === 'refund_payment' && chunk.data?.status !== 'running',
    );
    expect(refund?.data?.status).toBe('ok');
    expect(dataParts(chunks, 'resolution')[0]?.data?.outcome).toBe('resolved');
    expect(streamedText(chunks).toLowerCase()).toContain('refund');

    // The same message id again: the stored replies come back, the turn does not run twice.
    const again = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/confirmation`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { decision: 'confirm', actionId, id: 'msg-2' },
    });
    expect(streamedText(parseUiStream(again.body))).toBe(streamedText(chunks));
    // The same id for another answer is a conflict, not a second turn.
    const other = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/confirmation`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { decision: 'decline', actionId, id: 'msg-2' },
    });
    expect(other.statusCode).toBe(409);
    const refunds = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id WHERE i.account_id = $1`,
      [maya.account],
    );
    expect(refunds.rows[0].n).toBe(1);
    // The transcript shows the button press in the customer's words; the turn ran on its input.
    const customerMessages = await api.database.pool.query(
      `SELECT body, metadata FROM messages WHERE conversation_id = $1 AND role = 'customer' ORDER BY id`,
      [conversation.conversationId],
    );
    expect(customerMessages.rows.map((row) => row.body)).toEqual([
      'Hi, I think I was charged twice this month.',
      'Yes, please go ahead.',
    ]);
    expect(customerMessages.rows[0].metadata.input).toBeUndefined();
    expect(customerMessages.rows[1].metadata.input).toEqual({ kind: 'confirm', actionId });

    const view = await api.app.inject({
      method: 'GET',
      url: `/api/conversations/${conversation.conversationId}`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
    });
    // Resolved, and open for the next question.
    expect(view.json()).toMatchObject({ status: 'open', outcome: 'resolved', verified: true, pending: null });
    const roles = (view.json().messages as Array<{ role: string }>).map((message) => message.role);
    expect(roles[0]).toBe('customer');
    expect(roles.filter((role) => role === 'customer')).toHaveLength(2);
    expect(roles.at(-1)).toBe('agent');
  });

  it("accepts useChat's default request body", async () => {
    const conversation = await start();
    const response = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/messages`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: {
        id: conversation.conversationId,
        trigger: 'submit-message',
        messages: [
          { id: 'ui-1', role: 'user', parts: [{ type: 'text', text: 'What are your API rate limits?' }] },
        ],
      },
    });
    expect(response.statusCode).toBe(200);
    const chunks = parseUiStream(response.body);
    expect(streamedText(chunks).length).toBeGreaterThan(20);
    const { rows } = await api.database.pool.query(
      `SELECT client_message_id, turn_status FROM messages WHERE conversation_id = $1 AND role = 'customer'`,
      [conversation.conversationId],
    );
    expect(rows).toEqual([{ client_message_id: 'ui-1', turn_status: 'done' }]);
  });
});

describe('verifying a visitor with the email and code forms', () => {
  it('sends the code to the account email and verifies with it; the code is stored only masked', async () => {
    const conversation = await start();
    const headers = { authorization: `Bearer ${conversation.accessToken}` };
    const asked = await say(conversation, 'Hi, I think I was charged twice this month.');
    expect(dataParts(asked.chunks, 'slot-request')[0]?.data?.slot).toBe('email');
    const sent = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/verification`,
      headers,
      payload: { email: maya.email },
    });
    expect(sent.statusCode).toBe(200);
    expect(dataParts(parseUiStream(sent.body), 'verification')).toHaveLength(1);
    const { rows: mails } = await api.database.pool.query(
      `SELECT text_body FROM email_outbox WHERE conversation_id = $1 AND template = 'verification_code'`,
      [conversation.conversationId],
    );
    const code = /\b(\d{6})\b/.exec(mails[0].text_body)?.[1] as string;
    const badCode = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/verification/confirm`,
      headers,
      payload: { code: '12345' },
    });
    expect(badCode.statusCode).toBe(400);
    const verified = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/verification/confirm`,
      headers,
      payload: { code },
    });
    expect(streamedText(parseUiStream(verified.body))).toContain('you are verified');
    // The verification replaced the access token (api/customer/access-tokens.int.test.ts).
    const [handedOver] = dataParts(parseUiStream(verified.body), 'access-token');
    const view = await api.app.inject({
      method: 'GET',
      url: `/api/conversations/${conversation.conversationId}`,
      headers: { authorization: `Bearer ${handedOver?.data?.accessToken}` },
    });
    expect(view.json().verified).toBe(true);
    const { rows } = await api.database.pool.query(
      `SELECT body, metadata FROM messages WHERE conversation_id = $1 AND role = 'customer' ORDER BY id`,
      [conversation.conversationId],
    );
    expect(rows.map((row) => row.body)).toEqual([
      'Hi, I think I was charged twice this month.',
      `Please verify me. My account email is ${maya.email}`,
      '••••••',
    ]);
    expect(rows[1].metadata.input).toEqual({ kind: 'verify_email', email: maya.email });
    expect(rows[2].metadata.input).toEqual({ kind: 'verify_code', code: '••••••' });
    expect(rows[2].metadata.code_hashes).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(code);
    const checkpoint = await api.context.switchboard.agent.graph.getState({
      configurable: { thread_id: conversation.conversationId },
    });
    expect(JSON.stringify(checkpoint.values)).not.toContain(code);
  });
});

describe('GET /api/conversations/:id/events', () => {
  it('replays stored messages after Last-Event-ID, then streams a human reply live', async () => {
    const conversation = await start();
    await say(conversation, 'I want to talk to a human please');
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const address = api.app.server.address() as { port: number };
    const view = await api.app.inject({
      method: 'GET',
      url: `/api/conversations/${conversation.conversationId}`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
    });
    const messages = view.json().messages as Array<{ id: string }>;
    expect(messages.length).toBeGreaterThanOrEqual(2);
    const controller = new AbortController();
    const response = await fetch(
      `http://127.0.0.1:${address.port}/api/conversations/${conversation.conversationId}/events?access_token=${conversation.accessToken}`,
      { headers: { 'last-event-id': messages[0]!.id }, signal: controller.signal },
    );
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let received = '';
    const readUntil = async (needle: string) => {
      while (!received.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) break;
        received += new TextDecoder().decode(value);
      }
    };
    await readUntil('event: status');
    // The first message was seen already: only what came after it is replayed.
    expect(received).not.toContain(`id: ${messages[0]!.id}\n`);
    expect(received).toContain(`id: ${messages[1]!.id}\n`);
    const { rows } = await api.database.pool.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, body) VALUES ($1, 'human', 'Hi, Sam here from support.') RETURNING id::text AS id`,
      [conversation.conversationId],
    );
    await api.context.bus.publish(`conversation:${conversation.conversationId}`, {
      kind: 'message',
      conversationId: conversation.conversationId,
      message: {
        id: rows[0]!.id,
        role: 'human',
        text: 'Hi, Sam here from support.',
        metadata: {},
        createdAt: new Date().toISOString(),
      },
    });
    await readUntil('Sam here');
    expect(received).toContain(`id: ${rows[0]!.id}\nevent: message`);
    controller.abort();
  });
});

describe('GET /help/:slug', () => {
  it('serves public articles (the citation targets) as sanitized pages, never internal ones', async () => {
    const page = await api.app.inject({ url: '/help/refund-policy' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toMatch(/<h1>[^<]*[Rr]efund/);
    await api.database.pool.query(
      `INSERT INTO kb_articles (slug, title, visibility, body, content_hash) VALUES ('internal-runbook', 'Runbook', 'internal', 'secret <script>x</script>', 'h')`,
    );
    expect((await api.app.inject({ url: '/help/internal-runbook' })).statusCode).toBe(404);
  });
});

describe('the embeddable widget on another origin', () => {
  it('answers the CORS preflight for the customer API, without cookies', async () => {
    const preflight = await api.app.inject({
      method: 'OPTIONS',
      url: '/api/conversations',
      headers: {
        origin: 'https://www.customer-site.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/conversations',
      headers: { origin: 'https://www.customer-site.example' },
      payload: {},
    });
    expect(started.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('rate limits', () => {
  it('limits messages per conversation with 429 rate_limited', async () => {
    const limited = await createServer(
      {
        ...api.context,
        settings: {
          ...api.context.settings,
          rateLimit: { perIpPerMinute: 1000, messagesPerConversationPerMinute: 2 },
        },
      },
      { logger: false },
    );
    const conversation = await start();
    const post = () =>
      limited.inject({
        method: 'POST',
        url: `/api/conversations/${conversation.conversationId}/messages`,
        headers: { authorization: `Bearer ${conversation.accessToken}` },
        payload: { text: 'hello' },
      });
    expect((await post()).statusCode).toBe(200);
    expect((await post()).statusCode).toBe(200);
    const third = await post();
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe('rate_limited');
    await limited.close();
  });
});
