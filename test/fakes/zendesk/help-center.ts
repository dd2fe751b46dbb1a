import { type HandlerRequest, ZendeskProblem } from './handlers.ts';
import { stamp } from './objects.ts';

/**
 * The Help Center (Guide) endpoints of the fake Zendesk, for the knowledge source
 * (knowledge/sources/zendesk-guide/): the incremental article export, List Articles and List
 * Sections. server.ts routes `help_center.*` operations here; see README.md for what is modelled.
 */

/** An article as the fake keeps it (one translation: the one its `locale` names). */
export interface FakeArticle {
  id: number;
  title: string;
  body: string | null;
  locale: string;
  draft: boolean;
  section_id: number | null;
  label_names: string[];
  user_segment_id: number | null;
  /** Archived (Zendesk's "Archive Article", DELETE /api/v2/help_center/articles/{id}): no longer listed. */
  archived: boolean;
  created_at: number;
  /** Milliseconds; rendered to the second, as Zendesk does. */
  updated_at: number;
}

export interface FakeHelpCenter {
  articles: Map<number, FakeArticle>;
  sections: Map<number, { id: number; name: string }>;
  /** Articles per incremental export page (Zendesk: up to 1,000). */
  exportPageSize: number;
  addSection(name: string): number;
  /** Adds an article stamped with the fake's clock; returns it. */
  addArticle(article: Partial<FakeArticle> & { title: string; body: string | null }): FakeArticle;
  /** Changes an article and stamps `updated_at` with the fake's clock. */
  updateArticle(id: number, change: Partial<Omit<FakeArticle, 'id'>>): FakeArticle;
  /** Archives an article (it stops being listed and exported), stamping `updated_at`. */
  archiveArticle(id: number): void;
  /** Route handlers, by operation name. */
  handlers: Record<string, (request: HandlerRequest) => { status: number; body: unknown }>;
}

/** The routes server.ts adds: [method, path, operation]. */
export const helpCenterRoutes: Array<[string, string, string]> = [
  ['GET', '/api/v2/help_center/incremental/articles', 'help_center.incremental_articles'],
  ['GET', '/api/v2/help_center/articles', 'help_center.articles.list'],
  ['GET', '/api/v2/help_center/sections', 'help_center.sections.list'],
];

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Cursor pagination as Zendesk answers it: `page[size]` ≤ 100, `page[after]`, `meta`, `links`. */
function cursorPage<T>(items: T[], request: HandlerRequest, path: string) {
  const size = Number(request.query.get('page[size]') ?? 30);
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    throw new ZendeskProblem(400, 'InvalidPaginationParameter', 'page[size] must be between 1 and 100');
  }
  const after = request.query.get('page[after]');
  const start = after ? Number(Buffer.from(after, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) {
    throw new ZendeskProblem(400, 'InvalidPaginationParameter', 'page[after] is not a valid cursor');
  }
  const page = items.slice(start, start + size);
  const hasMore = start + size < items.length;
  const afterCursor = page.length > 0 ? Buffer.from(String(start + page.length)).toString('base64url') : null;
  const next = new URL(path, request.base);
  next.searchParams.set('page[size]', String(size));
  if (afterCursor) next.searchParams.set('page[after]', afterCursor);
  return {
    page,
    meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: start > 0 ? 'b' : null },
    links: { prev: null, next: hasMore ? next.toString() : null },
  };
}

export function createHelpCenter(clock: { now: number }, base: () => string): FakeHelpCenter {
  const articles = new Map<number, FakeArticle>();
  const sections = new Map<number, { id: number; name: string }>();
  let nextArticleId = 360_000_001;
  let nextSectionId = 4_400_001;

  const render = (article: FakeArticle) => ({
    id: article.id,
    url: `${base()}/api/v2/help_center/${article.locale}/articles/${article.id}.json`,
    html_url: `${base()}/hc/${article.locale}/articles/${article.id}`,
    author_id: 9_000_000,
    comments_disabled: false,
    draft: article.draft,
    promoted: false,
    position: 0,
    vote_sum: 0,
    vote_count: 0,
    section_id: article.section_id,
    created_at: stamp(article.created_at),
    updated_at: stamp(article.updated_at),
    edited_at: stamp(article.updated_at),
    user_segment_id: article.user_segment_id,
    user_segment_ids: article.user_segment_id === null ? [] : [article.user_segment_id],
    permission_group_id: 7_700_001,
    content_tag_ids: [],
    label_names: article.label_names,
    title: article.title,
    source_locale: article.locale,
    locale: article.locale,
    outdated: false,
    outdated_locales: [],
    body: article.body,
  });
  const listed = () =>
    [...articles.values()].filter((article) => !article.archived).sort((a, b) => a.id - b.id);

  const helpCenter: FakeHelpCenter = {
    articles,
    sections,
    exportPageSize: 1_000,
    addSection(name) {
      const id = nextSectionId++;
      sections.set(id, { id, name });
      return id;
    },
    addArticle(input) {
      const article: FakeArticle = {
        id: nextArticleId++,
        locale: 'en-us',
        draft: false,
        section_id: null,
        label_names: [],
        user_segment_id: null,
        archived: false,
        created_at: clock.now,
        updated_at: clock.now,
        ...input,
      };
      articles.set(article.id, article);
      return article;
    },
    updateArticle(id, change) {
      const article = articles.get(id);
      if (!article) throw new Error(`no fake article ${id}`);
      Object.assign(article, change, { updated_at: clock.now });
      return article;
    },
    archiveArticle(id) {
      helpCenter.updateArticle(id, { archived: true });
    },
    handlers: {
      /**
       * Incremental export: articles whose `updated_at` (to the second) is at or after `start_time`,
       * oldest first, `exportPageSize` a page; `end_time` and the `next_page` start time are the last
       * article's `updated_at`, `next_page` is null on the last page. Archived articles are not exported.
       */
      'help_center.incremental_articles': (request) => {
        const raw = request.query.get('start_time');
        const startTime = Number(raw);
        if (raw === null || !Number.isInteger(startTime) || startTime < 0) {
          throw new ZendeskProblem(400, 'InvalidValue', 'start_time must be an epoch time in seconds');
        }
        const changed = listed()
          .filter((article) => seconds(article.updated_at) >= startTime)
          .sort((a, b) => a.updated_at - b.updated_at || a.id - b.id);
        const page = changed.slice(0, helpCenter.exportPageSize);
        const last = page.at(-1);
        const endTime = last ? seconds(last.updated_at) : startTime;
        const more = changed.length > page.length;
        const next = new URL('/api/v2/help_center/incremental/articles.json', request.base);
        next.searchParams.set('start_time', String(endTime));
        return {
          status: 200,
          body: {
            articles: page.map(render),
            next_page: more ? next.toString() : null,
            end_time: endTime,
            count: page.length,
          },
        };
      },
      /** List Articles (as an agent: drafts included, archived not), by id, cursor-paginated. */
      'help_center.articles.list': (request) => {
        const { page, meta, links } = cursorPage(listed(), request, '/api/v2/help_center/articles.json');
        return { status: 200, body: { articles: page.map(render), meta, links } };
      },
      'help_center.sections.list': (request) => {
        const all = [...sections.values()].map((section) => ({
          ...section,
          locale: 'en-us',
          source_locale: 'en-us',
          category_id: 5_500_001,
          position: 0,
          html_url: `${request.base}/hc/en-us/sections/${section.id}`,
        }));
        const { page, meta, links } = cursorPage(all, request, '/api/v2/help_center/sections.json');
        return { status: 200, body: { sections: page, meta, links } };
      },
    },
  };
  return helpCenter;
}
