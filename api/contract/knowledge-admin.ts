import { z } from 'zod';

/** The admin's single-article routes (api/admin/knowledge-article-routes.ts, docs/api.md). */

const slugPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const slug = z.string().max(200).regex(slugPattern, 'must be kebab-case (a-z, 0-9, -)');
const visibility = z.enum(['public', 'internal']);

/** `/api/admin/knowledge/articles/:slug…`. */
export const articleParamsSchema = z.object({ slug });

/**
 * `POST /api/admin/knowledge/uploads`: one file, its bytes in base64. `visibility` is required unless
 * the file says it (front matter, `<meta name="visibility">`): the route answers 400 naming the field.
 */
export const uploadBodySchema = z.object({
  fileName: z
    .string()
    .min(1)
    .max(200)
    .regex(
      /^[^/\\]+\.(md|markdown|html|htm|pdf)$/i,
      'a file name ending .md, .markdown, .html, .htm or .pdf',
    ),
  // 10 MiB of bytes is at most 13,981,016 base64 characters.
  contentBase64: z
    .string()
    .min(1)
    .max(13_981_016)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
  visibility: visibility.optional(),
  /** Default: the front matter's slug, else the file name. */
  slug: slug.optional(),
  /** Default: the front matter's title, the first `# H1`, `<title>`, the PDF's title or first line. */
  title: z.string().trim().min(1).max(300).optional(),
});

/** `PUT /api/admin/knowledge/articles/:slug`: the edited Markdown with its front matter. */
export const articleEditBodySchema = z.object({
  markdown: z.string().min(1).max(1_000_000),
  /** Overrides the front matter's visibility; one of the two must say it. */
  visibility: visibility.optional(),
});

/** One stored article as the edit form shows it. */
export const articleDetailSchema = z.object({
  slug: z.string(),
  title: z.string(),
  url: z.string().nullable(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  visibility,
  format: z.string(),
  published: z.boolean(),
  chunks: z.number().int(),
  updatedAt: z.string(),
  ingestedAt: z.string(),
  /** The article as Markdown with front matter (title, visibility, url, category, tags): what is edited. */
  markdown: z.string(),
});

/** What a write did. */
export const articleWriteResponseSchema = z.object({
  article: articleDetailSchema,
  report: z.object({
    created: z.boolean(),
    chunksWritten: z.number().int(),
    chunksEmbedded: z.number().int(),
  }),
  /** For PDFs: pages read. */
  pages: z.number().int().optional(),
});

/** `DELETE /api/admin/knowledge/articles/:slug`. */
export const articleDeleteResponseSchema = z.object({ deleted: z.literal(true), slug: z.string() });

/** `GET /api/admin/knowledge/usage`. */
export const usageQuerySchema = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30),
});

export const usageResponseSchema = z.object({
  since: z.string(),
  articles: z.array(
    z.object({
      slug: z.string(),
      /** Agent answers that cited the article. */
      cited: z.number().int(),
      /** Low-confidence hand-offs whose best search candidate it was. */
      lowConfidence: z.number().int(),
    }),
  ),
});

export type UploadBody = z.input<typeof uploadBodySchema>;
export type ArticleEditBody = z.input<typeof articleEditBodySchema>;
export type ArticleDetail = z.infer<typeof articleDetailSchema>;
export type ArticleWriteResponse = z.infer<typeof articleWriteResponseSchema>;
export type UsageResponse = z.infer<typeof usageResponseSchema>;
