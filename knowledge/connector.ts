import { z } from 'zod';
import { type ConnectorDefinition, defineOperation } from '../connectors/core/definition.ts';
import { ConnectorError } from '../connectors/core/errors.ts';
import type { AnswerSupporter } from './answer.ts';
import { audienceOf } from './audience.ts';
import { IndexMismatchError } from './errors.ts';
import type { KnowledgeSearch } from './search.ts';

const passageSchema = z.object({
  article_slug: z.string(),
  title: z.string(),
  heading_path: z.array(z.string()),
  content: z.string(),
  url: z.string().nullable(),
  score: z.number(),
  vector_score: z.number().optional(),
  text_score: z.number().optional(),
});

const citationSchema = z.object({ slug: z.string(), title: z.string(), url: z.string().nullable() });

const searchInput = z.strictObject({
  query: z.string().trim().min(1).max(1000),
  limit: z.number().int().min(1).max(10).optional(),
  tags: z.array(z.string().min(1)).max(20).optional(),
});

const articleSchema = z.object({
  slug: z.string(),
  title: z.string(),
  url: z.string().nullable(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  updated_at: z.string(),
  body: z.string(),
});

const answerOutput = z.object({
  answerable: z.boolean(),
  confidence: z.number().min(0).max(1),
  passages: z.array(
    z.object({
      slug: z.string(),
      title: z.string(),
      url: z.string().nullable(),
      heading: z.string(),
      content: z.string(),
    }),
  ),
  citations: z.array(citationSchema),
});

/** What the knowledge connector is built on. */
export interface KnowledgeConnectorOptions {
  search: KnowledgeSearch;
  /** Enables the `answer` operation (the local reasoner's "answer or say I don't know"). */
  answers?: AnswerSupporter;
}

// Admin misconfiguration (wrong model) is not the customer's fault and not retryable.
function toConnectorError(error: unknown): never {
  if (error instanceof IndexMismatchError)
    throw new ConnectorError('permanent', error.message, { cause: error });
  throw error;
}

/**
 * The knowledge base as a connector (id `knowledge`): `search`, `get_article` and `answer`, all
 * reads open to unverified customers. The audience comes from the session, never from the
 * input: only a human agent's session sees internal articles.
 */
export function createKnowledgeConnector(options: KnowledgeConnectorOptions): ConnectorDefinition {
  const { search, answers } = options;
  const operations: ConnectorDefinition['operations'] = {
    search: defineOperation({
      name: 'search',
      description: 'Search the help center; returns cited passages (title, heading path, url).',
      effect: 'read',
      input: searchInput,
      output: z.object({ passages: z.array(passageSchema) }),
      scopes: ['knowledge.read'],
      timeoutMs: 10_000,
      cacheable: true,
      allowUnverified: true,
      async run(input, context) {
        const passages = await search
          .search(input.query, {
            audience: audienceOf(context.session),
            limit: input.limit ?? 5,
            ...(input.tags ? { tags: input.tags } : {}),
          })
          .catch(toConnectorError);
        return { passages };
      },
    }),
    get_article: defineOperation({
      name: 'get_article',
      description: 'Read one help-center article by slug.',
      effect: 'read',
      input: z.strictObject({ slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/) }),
      output: articleSchema,
      scopes: ['knowledge.read'],
      timeoutMs: 5_000,
      cacheable: true,
      allowUnverified: true,
      async run(input, context) {
        const article = await search.getArticle(input.slug, { audience: audienceOf(context.session) });
        // An internal article does not exist for a customer: same answer as a missing one.
        if (!article) throw new ConnectorError('not_found', `No article "${input.slug}"`);
        const { visibility: _visibility, ...visible } = article;
        return visible;
      },
    }),
  };
  if (answers) {
    operations.answer = defineOperation({
      name: 'answer',
      description:
        'Answer a question from the help center with citations, or say it cannot (below the confidence threshold).',
      effect: 'read',
      input: z.strictObject({ question: z.string().trim().min(1).max(2000) }),
      output: answerOutput,
      scopes: ['knowledge.read'],
      timeoutMs: 10_000,
      cacheable: true,
      allowUnverified: true,
      async run(input, context) {
        const answer = await answers
          .answerQuestion(input.question, { audience: audienceOf(context.session) })
          .catch(toConnectorError);
        return {
          answerable: answer.answerable,
          confidence: answer.confidence,
          passages: answer.passages.map((passage) => ({
            slug: passage.article_slug,
            title: passage.title,
            url: passage.url,
            heading: passage.heading_path.join(' > '),
            content: passage.content,
          })),
          citations: answer.citations,
        };
      },
    });
  }
  return {
    id: 'knowledge',
    title: 'Knowledge base',
    grantedScopes: ['knowledge.read'],
    async check() {
      try {
        const stats = await search.stats();
        return stats.articles > 0
          ? {
              ok: true,
              detail: `${stats.articles} articles, ${stats.chunks} passages (${stats.model}, ${stats.dimensions}-d)`,
            }
          : { ok: false, detail: 'The knowledge base is empty: run `npm run kb:ingest -- <folder>`' };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
    operations,
  };
}
