import { SignJWT } from 'jose';
import { type TestApi, testIdentitySecret } from './api-harness.ts';
import { parseUiStream, streamedText, type UiChunk } from './ui-stream.ts';

/** An identity token for `email`, as the company's backend would sign it (the test API's secret). */
export function identityTokenFor(email: string, expiresIn = '10m'): Promise<string> {
  return new SignJWT({ email })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(testIdentitySecret));
}

/**
 * Starts a chat signed in as `email` and returns a function that sends one message and answers the
 * streamed reply's text and chunks (failing the test unless the message was accepted).
 */
export async function verifiedChat(api: TestApi, email: string) {
  const started = await api.app.inject({
    method: 'POST',
    url: '/api/conversations',
    payload: { identityToken: await identityTokenFor(email) },
  });
  if (started.statusCode !== 201)
    throw new Error(`the chat did not start: ${started.statusCode} ${started.body}`);
  const conversation = started.json() as { conversationId: string; accessToken: string };
  return async (text: string): Promise<{ text: string; chunks: UiChunk[] }> => {
    const response = await api.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversation.conversationId}/messages`,
      headers: { authorization: `Bearer ${conversation.accessToken}` },
      payload: { text },
    });
    if (response.statusCode !== 200)
      throw new Error(`the message was refused: ${response.statusCode} ${response.body}`);
    const chunks = parseUiStream(response.body);
    return { text: streamedText(chunks), chunks };
  };
}
