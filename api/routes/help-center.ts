import { marked } from 'marked';
import { z } from 'zod';
import { sanitizeArticleHtml } from '../../knowledge/html.ts';
import type { RouteGroup } from '../context.ts';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * The public help center: the pages the agent's citations link to (`/help/<slug>`). Internal-only
 * articles are never served here.
 */
export const helpCenterRoutes: RouteGroup = async (app, context) => {
  app.get(
    '/help/:slug',
    {
      schema: {
        tags: ['customer'],
        summary: 'A public help-center article as a web page (the target of citations)',
        params: z.object({ slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'not an article slug') }),
      },
    },
    async (request, reply) => {
      const { rows } = await context.database.pool.query<{
        title: string;
        body: string;
        format: string;
        updated_at: Date;
      }>(
        `SELECT title, body, format, updated_at FROM kb_articles WHERE slug = $1 AND visibility = 'public' AND published`,
        [request.params.slug],
      );
      const article = rows[0];
      if (!article) {
        return reply
          .code(404)
          .type('text/html; charset=utf-8')
          .send(
            '<!doctype html><html lang="en"><title>Not found</title><p>No such help-center article.</p></html>',
          );
      }
      const html =
        article.format === 'markdown'
          ? sanitizeArticleHtml(await marked.parse(article.body))
          : article.format === 'html'
            ? sanitizeArticleHtml(article.body)
            : `<p>${escapeHtml(article.body)}</p>`;
      return reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(article.title)} — Lumen Cloud Help Center</title>
<style>body{font:16px/1.6 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}a{color:#0b57d0}code,pre{background:#f3f3f3}</style>
</head><body><p><a href="/">Lumen Cloud</a> › Help Center</p><main><h1>${escapeHtml(article.title)}</h1>${html}</main>
<footer><p>Updated ${new Date(article.updated_at).toISOString().slice(0, 10)}</p></footer></body></html>`);
    },
  );
};
