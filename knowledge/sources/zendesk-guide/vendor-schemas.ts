import { z } from 'zod';

/**
 * The parts of Zendesk Help Center API answers the Guide source reads, checked on arrival: an answer
 * without them is refused as a whole (ConnectorError `permanent`), never half-read. Zendesk sends more
 * fields than these; the rest are ignored.
 * https://developer.zendesk.com/api-reference/help_center/help-center-api/articles/#json-format
 */

const timestamp = z.iso.datetime({ offset: true });

/** An article in the locale it is displayed in (its `body` is that translation's HTML). */
export const guideArticle = z.object({
  id: z.number().int().positive(),
  title: z.string(),
  /** HTML; null or absent on an article without a body. */
  body: z.string().nullable().optional(),
  locale: z.string().min(1),
  source_locale: z.string().optional(),
  /** The translation in `locale` is a draft (not published). */
  draft: z.boolean(),
  section_id: z.number().int().nullable().optional(),
  label_names: z.array(z.string()).optional().default([]),
  /** null: everyone (anonymous users included) may see it; else the user segment that may. */
  user_segment_id: z.number().int().nullable().optional(),
  /** Several segments (Guide Enterprise); empty or absent when only `user_segment_id` applies. */
  user_segment_ids: z.array(z.number().int()).nullable().optional(),
  html_url: z.string().nullable().optional(),
  created_at: timestamp.optional(),
  updated_at: timestamp,
  edited_at: timestamp.nullable().optional(),
});
export type GuideArticle = z.output<typeof guideArticle>;

/**
 * A page of the incremental article export: `next_page` names the next `start_time` (the time of the
 * last change of the page's last article), recorded as `end_time` too; up to 1,000 articles a page.
 * https://developer.zendesk.com/documentation/help_center/help-center-api/understanding-incremental-article-exports/
 */
export const incrementalArticlesPage = z.object({
  articles: z.array(guideArticle),
  next_page: z.string().nullable().optional(),
  end_time: z.number().int().nonnegative().nullable().optional(),
  count: z.number().int().optional(),
});
export type IncrementalArticlesPage = z.output<typeof incrementalArticlesPage>;

/** Cursor pagination: https://developer.zendesk.com/api-reference/introduction/pagination/ */
const cursorMeta = z.object({
  has_more: z.boolean(),
  after_cursor: z.string().nullable().optional(),
});

/** A page of List Articles: only what the deletion check needs (id, draft, locale). */
export const articleListPage = z.object({
  articles: z.array(
    z.object({ id: z.number().int().positive(), draft: z.boolean(), locale: z.string().min(1) }),
  ),
  meta: cursorMeta,
});

/** A page of List Sections (names become the articles' category). */
export const sectionListPage = z.object({
  sections: z.array(z.object({ id: z.number().int(), name: z.string() })),
  meta: cursorMeta,
});
