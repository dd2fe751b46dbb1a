import { DocumentBatchError, IndexMismatchError } from '../../knowledge/errors.ts';
import { parseBatch } from '../../knowledge/ingest.ts';
import { sharedLocalEmbedder } from '../../knowledge/local-embedder.ts';
import { createKnowledgeSearch } from '../../knowledge/search.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  articleListResponseSchema,
  ingestBodySchema,
  ingestResponseSchema,
  knowledgeSearchQuerySchema,
  knowledgeSearchResponseSchema,
} from '../contract/admin.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, iso } from './shared.ts';

/** Knowledge: the indexed articles, ingestion (a queued job), and a search with its scores. */
export async function registerKnowledgeRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  // The same model the agent's knowledge search uses (app/wiring.ts), so the scores are the agent's.
  const search = createKnowledgeSearch({ db: pool, embedder: sharedLocalEmbedder() });

  app.get(
    '/api/admin/knowledge/articles',
    {
      schema: {
        ...adminSchema,
        summary: 'Indexed help-center articles with their chunk counts',
        response: { 200: articleListResponseSchema },
      },
    },
    async () => {
      const { rows } = await pool.query<{
        slug: string;
        title: string;
        url: string | null;
        category: string | null;
        tags: string[];
        visibility: 'public' | 'internal';
        published: boolean;
        chunks: number;
        updated_at: Date;
        ingested_at: Date;
      }>(
        `SELECT a.slug, a.title, a.url, a.category, a.tags, a.visibility, a.published, a.updated_at, a.ingested_at,
           (SELECT count(*)::int FROM kb_chunks c WHERE c.article_slug = a.slug) AS chunks
         FROM kb_articles a ORDER BY a.slug LIMIT 5000`,
      );
      const stats = await search.stats();
      return {
        model: stats.model,
        articles: rows.map((row) => ({
          slug: row.slug,
          title: row.title,
          url: row.url,
          category: row.category,
          tags: row.tags,
          visibility: row.visibility,
          published: row.published,
          chunks: row.chunks,
          updatedAt: iso(row.updated_at)!,
          ingestedAt: iso(row.ingested_at)!,
        })),
      };
    },
  );

  app.post(
    '/api/admin/knowledge/articles',
    {
      bodyLimit: 5 * 1024 * 1024,
      schema: {
        ...adminSchema,
        summary:
          'Ingest articles (checked now, embedded by a queued job): { path|slug, content } or { articles }',
        body: ingestBodySchema,
        response: { 202: ingestResponseSchema },
      },
    },
    async (request, reply) => {
      const inputs = 'articles' in request.body ? request.body.articles : [request.body];
      const articles = inputs.map((article) => ({
        path: article.path ?? `${article.slug}.md`,
        content: article.content,
        slug: article.slug,
        visibility: article.visibility,
      }));
      let slugs: string[];
      try {
        // Bad front matter or duplicate slugs are the admin's to fix now, not a failed job later.
        // Visibility is required (the field or the content): an article pasted without one used to
        // become internal silently, found by neither the chat nor a customer's search.
        slugs = parseBatch(
          articles.map((article) => ({
            source: article.path,
            content: article.content,
            ...(article.visibility ? { metadata: { visibility: article.visibility } } : {}),
          })),
          { requireVisibility: true },
        ).map((document) => document.slug);
      } catch (error) {
        if (error instanceof DocumentBatchError) {
          const missing = error.errors.some((item) => item.code === 'missing_visibility');
          throw new ApiError(
            'validation_failed',
            missing ? `Invalid body: /visibility is required — ${error.message}` : error.message,
            error.errors.map((item) => ({ source: item.source, code: item.code, message: item.message })),
          );
        }
        throw error;
      }
      // The job derives the slug from the front matter, else the path: a different one would land elsewhere.
      articles.forEach((article, index) => {
        if (article.slug && article.slug !== slugs[index]) {
          throw new ApiError(
            'validation_failed',
            `Invalid body: slug "${article.slug}" differs from the front matter's slug "${slugs[index]}"`,
          );
        }
      });
      await context.jobs.enqueue('knowledge.ingest', {
        articles: articles.map(({ path, content, visibility }) => ({
          path,
          content,
          ...(visibility ? { visibility } : {}),
        })),
        requestedBy: request.human?.id ?? null,
      });
      request.log.info({ slugs, adminId: request.human?.id }, 'knowledge ingest queued');
      return reply.code(202).send({ queued: articles.length, slugs });
    },
  );

  app.get(
    '/api/admin/knowledge/search',
    {
      schema: {
        ...adminSchema,
        summary: 'Try a search: the passages the agent would retrieve, with their scores',
        querystring: knowledgeSearchQuerySchema,
        response: { 200: knowledgeSearchResponseSchema },
      },
    },
    async (request) => {
      const { q, limit, audience, mode } = request.query;
      try {
        const details = await search.searchDetailed(q, { limit, audience, mode });
        return {
          query: q,
          results: details.passages.map((passage) => ({
            slug: passage.article_slug,
            title: passage.title,
            heading: passage.heading_path.join(' > '),
            url: passage.url,
            snippet: snippet(passage.content),
            score: passage.score,
            vectorScore: passage.vector_score ?? null,
            textScore: passage.text_score ?? null,
          })),
          timings: {
            embeddingMs: Math.round(details.timings.embeddingMs * 10) / 10,
            searchMs: Math.round(details.timings.searchMs * 10) / 10,
          },
        };
      } catch (error) {
        if (error instanceof IndexMismatchError) throw new ApiError('unavailable', error.message);
        throw error;
      }
    },
  );
}

function snippet(content: string, length = 280): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  return flat.length <= length ? flat : `${flat.slice(0, length - 1)}…`;
}
