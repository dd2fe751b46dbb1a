import { z } from 'zod';
import { DocumentBatchError, IndexMismatchError } from '../../knowledge/errors.ts';
import { parseBatch } from '../../knowledge/ingest.ts';
import { sharedLocalEmbedder } from '../../knowledge/local-embedder.ts';
import { createKnowledgeSearch } from '../../knowledge/search.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, iso } from './shared.ts';

const slugPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const articlePath = z
  .string()
  .min(1)
  .max(300)
  .regex(
    /^[\w.-]+(\/[\w.-]+)*\.(md|markdown|html|htm|txt)$/i,
    'a relative file name ending .md, .html or .txt',
  )
  .refine((path) => !path.split('/').includes('..'), 'must not contain ..');

/** One article: Markdown (or HTML/text) with front matter; named by a file path or by its slug. */
const articleInput = z
  .object({
    path: articlePath.optional(),
    slug: z.string().max(200).regex(slugPattern, 'must be kebab-case (a-z, 0-9, -)').optional(),
    content: z.string().min(1).max(1_000_000),
  })
  .refine((article) => article.path !== undefined || article.slug !== undefined, 'give a path or a slug');

const ingestBody = z.union([z.object({ articles: z.array(articleInput).min(1).max(500) }), articleInput]);

const articleSummary = z.object({
  slug: z.string(),
  title: z.string(),
  url: z.string().nullable(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  visibility: z.enum(['public', 'internal']),
  chunks: z.number(),
  updatedAt: z.string(),
  ingestedAt: z.string(),
});

/** Knowledge: the indexed articles, ingestion (a queued job), and a search with its scores. */
export async function registerKnowledgeRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  // The same model the agent's knowledge search uses (api/wiring.ts), so the scores are the agent's.
  const search = createKnowledgeSearch({ db: pool, embedder: sharedLocalEmbedder() });

  app.get(
    '/api/admin/knowledge/articles',
    {
      schema: {
        ...adminSchema,
        summary: 'Indexed help-center articles with their chunk counts',
        response: { 200: z.object({ articles: z.array(articleSummary), model: z.string().nullable() }) },
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
        chunks: number;
        updated_at: Date;
        ingested_at: Date;
      }>(
        `SELECT a.slug, a.title, a.url, a.category, a.tags, a.visibility, a.updated_at, a.ingested_at,
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
        body: ingestBody,
        response: { 202: z.object({ queued: z.number(), slugs: z.array(z.string()) }) },
      },
    },
    async (request, reply) => {
      const inputs = 'articles' in request.body ? request.body.articles : [request.body];
      const articles = inputs.map((article) => ({
        path: article.path ?? `${article.slug}.md`,
        content: article.content,
        slug: article.slug,
      }));
      let slugs: string[];
      try {
        // Bad front matter or duplicate slugs are the admin's to fix now, not a failed job later.
        slugs = parseBatch(
          articles.map((article) => ({ source: article.path, content: article.content })),
        ).map((document) => document.slug);
      } catch (error) {
        if (error instanceof DocumentBatchError) {
          throw new ApiError(
            'validation_failed',
            error.message,
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
        articles: articles.map(({ path, content }) => ({ path, content })),
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
        querystring: z.object({
          q: z.string().trim().min(1, 'the query is empty').max(1000),
          limit: z.coerce.number().int().min(1).max(50).default(5),
          audience: z.enum(['public', 'internal']).default('public'),
          mode: z.enum(['hybrid', 'vector', 'fulltext']).default('hybrid'),
        }),
        response: {
          200: z.object({
            query: z.string(),
            results: z.array(
              z.object({
                slug: z.string(),
                title: z.string(),
                heading: z.string(),
                url: z.string().nullable(),
                snippet: z.string(),
                score: z.number(),
                vectorScore: z.number().nullable(),
                textScore: z.number().nullable(),
              }),
            ),
            timings: z.object({ embeddingMs: z.number(), searchMs: z.number() }),
          }),
        },
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
