import type { z } from 'zod';
import { ConnectorError } from '../../../connectors/core/errors.ts';
import { toConnectorError } from '../../../connectors/ticketing/zendesk/errors.ts';
import {
  parseZendeskAnswer,
  type ZendeskAuth,
  zendeskAuthorization,
  zendeskBaseUrl,
} from '../../../connectors/ticketing/zendesk/transport.ts';
import {
  articleListPage,
  type IncrementalArticlesPage,
  incrementalArticlesPage,
  sectionListPage,
} from './vendor-schemas.ts';

export type { ZendeskAuth };

/** Settings of the one module of the Guide source that talks to Zendesk. */
export interface GuideTransportOptions {
  /** `{subdomain}.zendesk.com`; or `baseUrl` for a fake, a proxy or a host-mapped brand. */
  subdomain?: string;
  baseUrl?: string;
  /** An agent's (or admin's) API token, or an OAuth token with `hc:read` (or `read`). */
  auth: ZendeskAuth;
  /** Per-request timeout (default 30 s: an export page holds up to 1,000 article bodies). */
  timeoutMs?: number;
  /** Page size of the cursor-paginated lists (Zendesk allows 1–100). */
  pageSize?: number;
  /** Pages read at most per list, so a runaway cursor cannot loop forever. */
  maxPages?: number;
}

type Query = Record<string, string | number | undefined>;

export type GuideTransport = ReturnType<typeof createGuideTransport>;

/**
 * The Help Center API calls of the Guide source: `fetch` with a timeout and zod-checked answers.
 * Failures become ConnectorErrors exactly as in the Zendesk ticketing backend (toConnectorError):
 * 401 → auth_expired, 403 → permanent, 429 → rate_limited with Retry-After, 5xx / no answer →
 * transient, an answer of the wrong shape → permanent. It retries nothing itself (the sync does).
 */
export function createGuideTransport(options: GuideTransportOptions) {
  const base = baseUrlOf(options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pageSize = Math.min(100, Math.max(1, options.pageSize ?? 100));
  const maxPages = options.maxPages ?? 1_000;
  const { auth } = options;

  const authorization = () => zendeskAuthorization(auth);

  async function read<Schema extends z.ZodType>(
    what: string,
    schema: Schema,
    request: { path: string; query?: Query },
    signal?: AbortSignal,
  ): Promise<z.output<Schema>> {
    const url = new URL(request.path, base);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        headers: { authorization: await authorization(), accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new ConnectorError('transient', `Zendesk ${what} did not answer: ${reason}`);
    }
    if (!response.ok) throw toConnectorError(response.status, response.headers, text, what, auth);
    return parseZendeskAnswer(what, schema, text);
  }

  /**
   * Cursor pagination (https://developer.zendesk.com/api-reference/introduction/pagination/):
   * `page[size]`, then `page[after]` = `meta.after_cursor` while `meta.has_more`. Throws when the
   * list does not end within `maxPages` pages: a partial list must never pass for a whole one.
   */
  async function allPages<Page extends { meta: { has_more: boolean; after_cursor?: string | null } }>(
    what: string,
    schema: z.ZodType<Page>,
    path: string,
    onPage: (page: Page) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    let after: string | undefined;
    for (let index = 0; index < maxPages; index++) {
      const page = await read(
        what,
        schema,
        { path, query: { 'page[size]': pageSize, 'page[after]': after } },
        signal,
      );
      onPage(page);
      if (!page.meta.has_more) return;
      if (!page.meta.after_cursor) {
        throw new ConnectorError('permanent', `Zendesk ${what} said has_more without an after_cursor`);
      }
      after = page.meta.after_cursor;
    }
    throw new ConnectorError('permanent', `Zendesk ${what} did not end within ${maxPages} pages`);
  }

  return {
    /**
     * One page of the incremental article export: articles whose metadata changed at or after
     * `startTime` (epoch seconds), oldest change first; agents and admins only.
     */
    // https://developer.zendesk.com/api-reference/help_center/help-center-api/articles/#list-articles
    // https://developer.zendesk.com/documentation/help_center/help-center-api/understanding-incremental-article-exports/
    incrementalArticles: (startTime: number, signal?: AbortSignal): Promise<IncrementalArticlesPage> =>
      read(
        'help_center.incremental_articles',
        incrementalArticlesPage,
        { path: '/api/v2/help_center/incremental/articles', query: { start_time: startTime } },
        signal,
      ),

    /**
     * Every article Zendesk still lists (drafts included, for an agent; archived ones are not listed),
     * by id, with its draft flag and locale. Throws unless the whole list was read.
     */
    // https://developer.zendesk.com/api-reference/help_center/help-center-api/articles/#list-articles
    listArticleIds: async (
      signal?: AbortSignal,
    ): Promise<Map<number, { draft: boolean; locale: string }>> => {
      const listed = new Map<number, { draft: boolean; locale: string }>();
      await allPages(
        'help_center.articles.list',
        articleListPage,
        '/api/v2/help_center/articles',
        (page) => {
          for (const article of page.articles) {
            listed.set(article.id, { draft: article.draft, locale: article.locale });
          }
        },
        signal,
      );
      return listed;
    },

    /** Section names by id (an article's section becomes its category). */
    // https://developer.zendesk.com/api-reference/help_center/help-center-api/sections/#list-sections
    listSections: async (signal?: AbortSignal): Promise<Map<number, string>> => {
      const sections = new Map<number, string>();
      await allPages(
        'help_center.sections.list',
        sectionListPage,
        '/api/v2/help_center/sections',
        (page) => {
          for (const section of page.sections) sections.set(section.id, section.name);
        },
        signal,
      );
      return sections;
    },
  };
}

function baseUrlOf(options: GuideTransportOptions): string {
  return zendeskBaseUrl(options, 'the Zendesk Guide source');
}
