import matter from 'gray-matter';
import {
  articleUsage,
  deleteArticle,
  editableMarkdown,
  loadArticle,
  publishArticle,
  readPdfText,
  type StoredArticle,
  sniffUploadFormat,
  unpublishArticle,
  uploadLimits,
} from '../../knowledge/article-admin.ts';
import type { RawDocument } from '../../knowledge/documents.ts';
import type { Embedder } from '../../knowledge/embedder.ts';
import { DocumentBatchError, DocumentError, IndexMismatchError } from '../../knowledge/errors.ts';
import { createIngester, type IngestReport } from '../../knowledge/ingest.ts';
import { sharedWorkerEmbedder } from '../../knowledge/worker-embedder.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  type ArticleDetail,
  articleDeleteResponseSchema,
  articleDetailSchema,
  articleEditBodySchema,
  articleParamsSchema,
  articleWriteResponseSchema,
  uploadBodySchema,
  usageQuerySchema,
  usageResponseSchema,
} from '../contract/knowledge-admin.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange, iso } from './shared.ts';

/** The connector id audit rows of knowledge changes are filed under. */
const auditSubject = 'knowledge';

/**
 * The admin's single-article routes: upload a file, read one article as editable Markdown, edit it,
 * unpublish / publish, delete, and per-article usage. Uploads and edits are indexed before the answer
 * (embedded in the worker thread, so the server keeps serving): the admin sees an error at once and
 * the chat answers from the new text as soon as the request returns. Every change is audited.
 */
export async function registerKnowledgeArticleRoutes(
  app: ApiApp,
  context: ApiContext,
  options: { embedder?: Embedder } = {},
): Promise<void> {
  const { pool } = context.database;
  let ingester: ReturnType<typeof createIngester> | null = null;
  // Created on first use: the worker thread (and its model) only when an admin writes an article.
  const ingest = (document: RawDocument) => {
    ingester ??= createIngester({
      embedder: options.embedder ?? sharedWorkerEmbedder(),
      requireVisibility: true,
    });
    return indexed(() => ingester!.ingest(pool, [document]));
  };

  app.post(
    '/api/admin/knowledge/uploads',
    {
      // 10 MiB of file in base64, plus the JSON around it.
      bodyLimit: 14 * 1024 * 1024 + 4096,
      schema: {
        ...adminSchema,
        summary: 'Upload one file (Markdown, HTML or PDF, base64) and index it now; visibility is required',
        body: uploadBodySchema,
        response: { 201: articleWriteResponseSchema },
      },
    },
    async (request, reply) => {
      const { fileName, contentBase64, visibility, slug, title } = request.body;
      const bytes = Buffer.from(contentBase64, 'base64');
      if (bytes.byteLength === 0)
        throw new ApiError('validation_failed', 'Invalid body: /contentBase64 is empty');
      const format = refused(() => sniffUploadFormat(fileName, bytes));
      const limit = format === 'pdf' ? uploadLimits.pdfBytes : uploadLimits.textBytes;
      if (bytes.byteLength > limit) {
        throw new ApiError(
          'payload_too_large',
          `${fileName} is ${bytes.byteLength} bytes, over the ${limit}-byte limit for ${format === 'pdf' ? 'PDF' : 'Markdown and HTML'} files`,
        );
      }
      let document: RawDocument;
      let pages: number | undefined;
      if (format === 'pdf') {
        const pdf = await refusedAsync(() => readPdfText(fileName, bytes));
        pages = pdf.pages;
        const firstLine = pdf.text
          .split('\n')
          .find((line) => /[\p{L}\p{N}]/u.test(line))
          ?.trim();
        document = {
          source: fileName,
          content: pdf.text,
          format: 'text',
          metadata: {
            ...(slug ? { slug } : {}),
            title: title ?? pdf.title ?? firstLine?.slice(0, 150),
            ...(visibility ? { visibility } : {}),
          },
        };
      } else {
        document = {
          source: fileName,
          content: bytes,
          format,
          metadata: {
            ...(slug ? { slug } : {}),
            ...(title ? { title } : {}),
            ...(visibility ? { visibility } : {}),
          },
        };
      }
      const report = await ingest(document);
      const writtenSlug = [...report.created, ...report.updated, ...report.unchanged][0]!;
      const article = (await loadArticle(pool, writtenSlug))!;
      await auditAdminChange(pool, request.human!, auditSubject, 'admin.upload_article', {
        slug: writtenSlug,
        file_name: fileName,
        format,
        visibility: article.visibility,
        bytes: bytes.byteLength,
      });
      request.log.info(
        { slug: writtenSlug, format, adminId: request.human?.id },
        'knowledge article uploaded',
      );
      return reply.code(201).send({ article: detail(article), report: summary(report, writtenSlug), pages });
    },
  );

  app.get(
    '/api/admin/knowledge/articles/:slug',
    {
      schema: {
        ...adminSchema,
        summary: 'One article with its Markdown (front matter + body) for editing, published or not',
        params: articleParamsSchema,
        response: { 200: articleDetailSchema },
      },
    },
    async (request) => detail(await existing(request.params.slug)),
  );

  app.put(
    '/api/admin/knowledge/articles/:slug',
    {
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        ...adminSchema,
        summary: 'Edit an article: the new Markdown is re-chunked and re-indexed before the answer',
        params: articleParamsSchema,
        body: articleEditBodySchema,
        response: { 200: articleWriteResponseSchema },
      },
    },
    async (request) => {
      const { slug } = request.params;
      const before = await existing(slug);
      const front = frontMatterOf(request.body.markdown);
      if (front.slug !== undefined && front.slug !== slug) {
        throw new ApiError(
          'validation_failed',
          `Invalid body: /markdown front matter slug "${String(front.slug)}" differs from the article's "${slug}" (a slug cannot be changed: upload a new article and delete this one)`,
        );
      }
      const report = await ingest({
        source: `${slug}.md`,
        content: request.body.markdown,
        format: 'markdown',
        metadata: {
          slug,
          updated_at: new Date(),
          ...(request.body.visibility ? { visibility: request.body.visibility } : {}),
        },
      });
      const article = (await loadArticle(pool, slug))!;
      await auditAdminChange(pool, request.human!, auditSubject, 'admin.edit_article', {
        slug,
        visibility_before: before.visibility,
        visibility: article.visibility,
        published: article.published,
      });
      return { article: detail(article), report: summary(report, slug) };
    },
  );

  app.post(
    '/api/admin/knowledge/articles/:slug/unpublish',
    {
      schema: {
        ...adminSchema,
        summary: 'Take an article out of search and the chat at once (kept for editing)',
        params: articleParamsSchema,
        response: { 200: articleDetailSchema },
      },
    },
    async (request) => {
      const { slug } = request.params;
      if (!(await unpublishArticle(pool, slug))) throw new ApiError('not_found', `No article "${slug}"`);
      await auditAdminChange(pool, request.human!, auditSubject, 'admin.unpublish_article', { slug });
      return detail(await existing(slug));
    },
  );

  app.post(
    '/api/admin/knowledge/articles/:slug/publish',
    {
      schema: {
        ...adminSchema,
        summary: 'Publish an unpublished article again: its text is re-chunked and indexed before the answer',
        params: articleParamsSchema,
        response: { 200: articleDetailSchema },
      },
    },
    async (request) => {
      const { slug } = request.params;
      ingester ??= createIngester({
        embedder: options.embedder ?? sharedWorkerEmbedder(),
        requireVisibility: true,
      });
      const report = await indexed(() => publishArticle(pool, ingester!, slug));
      if (!report) throw new ApiError('not_found', `No article "${slug}"`);
      await auditAdminChange(pool, request.human!, auditSubject, 'admin.publish_article', { slug });
      return detail(await existing(slug));
    },
  );

  app.delete(
    '/api/admin/knowledge/articles/:slug',
    {
      schema: {
        ...adminSchema,
        summary: 'Delete an article with its chunks and vectors, at once',
        params: articleParamsSchema,
        response: { 200: articleDeleteResponseSchema },
      },
    },
    async (request) => {
      const { slug } = request.params;
      if (!(await deleteArticle(pool, slug))) throw new ApiError('not_found', `No article "${slug}"`);
      await auditAdminChange(pool, request.human!, auditSubject, 'admin.delete_article', { slug });
      return { deleted: true as const, slug };
    },
  );

  app.get(
    '/api/admin/knowledge/usage',
    {
      schema: {
        ...adminSchema,
        summary:
          'Per article: answers that cited it and low-confidence hand-offs it was the best candidate of',
        querystring: usageQuerySchema,
        response: { 200: usageResponseSchema },
      },
    },
    async (request) => {
      const since = new Date(Date.now() - request.query.days * 86_400_000);
      return { since: since.toISOString(), articles: await articleUsage(pool, since) };
    },
  );

  async function existing(slug: string): Promise<StoredArticle> {
    const article = await loadArticle(pool, slug);
    if (!article) throw new ApiError('not_found', `No article "${slug}"`);
    return article;
  }
}

function detail(article: StoredArticle): ArticleDetail {
  return {
    slug: article.slug,
    title: article.title,
    url: article.url,
    category: article.category,
    tags: article.tags,
    visibility: article.visibility,
    format: article.format,
    published: article.published,
    chunks: article.chunks,
    updatedAt: iso(article.updated_at)!,
    ingestedAt: iso(article.ingested_at)!,
    markdown: editableMarkdown(article),
  };
}

function summary(report: IngestReport, slug: string) {
  return {
    created: report.created.includes(slug),
    chunksWritten: report.chunksWritten,
    chunksEmbedded: report.chunksEmbedded,
  };
}

/** The front matter of edited Markdown, or {} when it has none (a YAML error is the parser's to report). */
function frontMatterOf(markdown: string): Record<string, unknown> {
  try {
    return matter(markdown, {}).data as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A refused document as a 400 naming what to fix; a missing visibility names the field. */
function asApiError(error: DocumentError): ApiError {
  const message =
    error.code === 'missing_visibility'
      ? `Invalid body: /visibility is required — ${error.message} (or set it in the front matter)`
      : error.message;
  return new ApiError('validation_failed', message, [
    { source: error.source, code: error.code, message: error.message },
  ]);
}

function refused<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof DocumentError) throw asApiError(error);
    throw error;
  }
}

async function refusedAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DocumentError) throw asApiError(error);
    throw error;
  }
}

/** Runs an ingest, turning refused documents into 400s and a model mismatch into 503. */
async function indexed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DocumentBatchError && error.errors.length === 1) throw asApiError(error.errors[0]!);
    if (error instanceof DocumentBatchError) {
      throw new ApiError(
        'validation_failed',
        error.message,
        error.errors.map((item) => ({ source: item.source, code: item.code, message: item.message })),
      );
    }
    if (error instanceof DocumentError) throw asApiError(error);
    if (error instanceof IndexMismatchError) throw new ApiError('unavailable', error.message);
    throw error;
  }
}
