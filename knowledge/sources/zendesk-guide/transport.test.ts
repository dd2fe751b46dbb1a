import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../connectors/core/errors.ts';
import { createGuideTransport } from './transport.ts';

let server: Server | null = null;

/** A server answering each request with the next of `answers` (status, body), recording the URLs. */
async function serve(answers: Array<[number, unknown]>, seen: string[]) {
  server = createServer((request, response) => {
    seen.push(request.url ?? '');
    const [status, body] = answers.shift() ?? [500, { error: 'out of answers' }];
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return createGuideTransport({
    baseUrl: `http://127.0.0.1:${port}`,
    auth: { type: 'oauth', accessToken: 'token' },
    pageSize: 1,
    maxPages: 3,
  });
}

const article = (id: number) => ({ id, draft: false, locale: 'en-us' });

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

describe('Guide transport: the id listing is whole or an error', () => {
  it('walks the cursor pages (page[size], page[after]) to the end', async () => {
    const seen: string[] = [];
    const transport = await serve(
      [
        [200, { articles: [article(1)], meta: { has_more: true, after_cursor: 'c1' } }],
        [200, { articles: [article(2)], meta: { has_more: false, after_cursor: 'c2' } }],
      ],
      seen,
    );
    expect([...(await transport.listArticleIds()).keys()]).toEqual([1, 2]);
    expect(seen).toEqual([
      '/api/v2/help_center/articles?page%5Bsize%5D=1',
      '/api/v2/help_center/articles?page%5Bsize%5D=1&page%5Bafter%5D=c1',
    ]);
  });

  it('a page that fails, a has_more without cursor, or no end within maxPages: throws, returns nothing', async () => {
    const failing = await serve(
      [
        [200, { articles: [article(1)], meta: { has_more: true, after_cursor: 'c1' } }],
        [503, { error: 'ServiceUnavailable' }],
      ],
      [],
    );
    await expect(failing.listArticleIds()).rejects.toMatchObject({ kind: 'transient' });
    await new Promise((resolve) => server?.close(resolve));

    const cursorless = await serve(
      [[200, { articles: [article(1)], meta: { has_more: true, after_cursor: null } }]],
      [],
    );
    await expect(cursorless.listArticleIds()).rejects.toThrow('has_more without an after_cursor');
    await new Promise((resolve) => server?.close(resolve));

    const endless = await serve(
      [1, 2, 3, 4].map((id) => [
        200,
        { articles: [article(id)], meta: { has_more: true, after_cursor: `c${id}` } },
      ]),
      [],
    );
    const error = await endless.listArticleIds().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).message).toContain('did not end within 3 pages');
  });

  it('an export page of the wrong shape is refused, naming the field', async () => {
    const transport = await serve([[200, { articles: [{ id: 1, title: 'x' }], next_page: null }]], []);
    await expect(transport.incrementalArticles(0)).rejects.toMatchObject({
      kind: 'permanent',
      message: expect.stringContaining('articles.0.locale'),
    });
  });
});
