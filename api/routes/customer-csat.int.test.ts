import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
}, 120_000);
afterAll(async () => api?.close());

async function start() {
  const response = await api.app.inject({ method: 'POST', url: '/api/conversations', payload: {} });
  expect(response.statusCode).toBe(201);
  return response.json() as { conversationId: string; accessToken: string };
}

const auth = (conversation: { accessToken: string }) => ({
  authorization: `Bearer ${conversation.accessToken}`,
});

async function view(conversation: { conversationId: string; accessToken: string }) {
  const response = await api.app.inject({
    method: 'GET',
    url: `/api/conversations/${conversation.conversationId}`,
    headers: auth(conversation),
  });
  expect(response.statusCode).toBe(200);
  return response.json() as { csat: { state: string; rating?: number; comment?: string | null } };
}

const rate = (conversation: { conversationId: string; accessToken: string }, payload: unknown) =>
  api.app.inject({
    method: 'POST',
    url: `/api/conversations/${conversation.conversationId}/csat`,
    headers: auth(conversation),
    payload: payload as Record<string, unknown>,
  });

/** Sets the conversation's state as a finished turn or a human's decision would. */
const settle = (conversationId: string, status: string, outcome: string | null) =>
  api.database.pool.query('UPDATE conversations SET status = $2, outcome = $3 WHERE id = $1', [
    conversationId,
    status,
    outcome,
  ]);

describe('CSAT in chat', () => {
  it('is offered only after an answer or a resolution, stored once, and shown back', async () => {
    const conversation = await start();
    expect((await view(conversation)).csat).toEqual({ state: 'not_yet' });
    const early = await rate(conversation, { rating: 5 });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.message).toMatch(/cannot be rated yet/);

    // An escalated conversation waits for a person: the customer would be rating the wait.
    await settle(conversation.conversationId, 'escalated', 'escalated');
    expect((await rate(conversation, { rating: 2 })).statusCode).toBe(409);

    await settle(conversation.conversationId, 'open', 'answered');
    expect((await view(conversation)).csat).toEqual({ state: 'open' });
    const rated = await rate(conversation, { rating: 4, comment: '  Quick and clear.  ' });
    expect(rated.statusCode).toBe(201);
    expect(rated.json()).toEqual({ state: 'rated', rating: 4, comment: 'Quick and clear.' });
    expect((await view(conversation)).csat).toEqual({
      state: 'rated',
      rating: 4,
      comment: 'Quick and clear.',
    });

    const twice = await rate(conversation, { rating: 1 });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.message).toMatch(/already rated/);
    const { rows } = await api.database.pool.query(
      'SELECT rating, comment, channel FROM csat_ratings WHERE conversation_id = $1',
      [conversation.conversationId],
    );
    expect(rows).toEqual([{ rating: 4, comment: 'Quick and clear.', channel: 'chat' }]);
  });

  it('takes a rating after a person resolved the escalation, with no comment', async () => {
    const conversation = await start();
    await settle(conversation.conversationId, 'resolved', 'escalated');
    const rated = await rate(conversation, { rating: 3, comment: '   ' });
    expect(rated.json()).toEqual({ state: 'rated', rating: 3, comment: null });
  });

  it.each([
    ['a rating of 0', { rating: 0 }],
    ['a rating of 6', { rating: 6 }],
    ['a fractional rating', { rating: 4.5 }],
    ['a rating given as text', { rating: '5' }],
    ['a comment over 1000 characters', { rating: 5, comment: 'x'.repeat(1001) }],
    ['an unknown field', { rating: 5, stars: 5 }],
  ])('refuses %s with 400 and stores nothing', async (_name, payload) => {
    const conversation = await start();
    await settle(conversation.conversationId, 'resolved', 'resolved');
    const response = await rate(conversation, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('validation_failed');
    expect((await view(conversation)).csat).toEqual({ state: 'open' });
  });

  it("refuses a rating without the conversation's token, or with another conversation's", async () => {
    const mine = await start();
    const theirs = await start();
    await settle(mine.conversationId, 'resolved', 'resolved');
    const anonymous = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${mine.conversationId}/csat`,
      payload: { rating: 1 },
    });
    expect(anonymous.statusCode).toBe(401);
    const crossed = await rate(
      { conversationId: mine.conversationId, accessToken: theirs.accessToken },
      { rating: 1 },
    );
    expect([401, 403, 404]).toContain(crossed.statusCode);
    expect((await view(mine)).csat).toEqual({ state: 'open' });
  });
});
