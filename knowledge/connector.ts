import { implement } from '../connectors/core/contract.ts';
import type { ConnectorDefinition } from '../connectors/core/definition.ts';
import { ConnectorError } from '../connectors/core/errors.ts';
import { knowledge } from '../connectors/knowledge/contract.ts';
import type { AnswerSupporter } from './answer.ts';
import { audienceOf } from './audience.ts';
import { IndexMismatchError } from './errors.ts';
import type { KnowledgeSearch } from './search.ts';

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
    search: implement(knowledge.search, {
      scopes: ['knowledge.read'],
      timeoutMs: 10_000,
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
    get_article: implement(knowledge.getArticle, {
      scopes: ['knowledge.read'],
      timeoutMs: 5_000,
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
    operations.answer = implement(knowledge.answer, {
      scopes: ['knowledge.read'],
      timeoutMs: 10_000,
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
