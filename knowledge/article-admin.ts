import path from 'node:path';
import matter from 'gray-matter';
import type pg from 'pg';
import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import type { Queryable } from '../connectors/core/queryable.ts';
import type { RawDocument, Visibility } from './documents.ts';
import { DocumentError } from './errors.ts';
import type { IngestReport, KnowledgeIngester } from './ingest.ts';

/**
 * What the admin page does to single articles (docs/knowledge.md "Administration"): uploads of
 * Markdown, HTML and PDF files, the editable Markdown of a stored article, publish / unpublish,
 * delete, and how often each article was used by the agent.
 */

/** The formats an upload may be, told by content and extension together. */
export type UploadFormat = 'markdown' | 'html' | 'pdf';

/** Limits of one uploaded file. */
export const uploadLimits = {
  /** A PDF's bytes (its extracted text then meets the ingester's own 1 MiB limit). */
  pdfBytes: 10 * 1024 * 1024,
  /** Markdown / HTML bytes: the ingester's limit. */
  textBytes: 1024 * 1024,
  /** Pages read from a PDF; a longer one is refused rather than cut silently. */
  pdfPages: 200,
} as const;

const extensionFormats: Record<string, UploadFormat> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
};

/**
 * The format of an uploaded file: its extension must be one we take, and its first bytes must agree
 * (a PDF starts `%PDF-`; a text file has no NUL bytes; HTML opens with a tag) — a renamed binary or a
 * PDF called `.md` is refused, naming the file.
 */
export function sniffUploadFormat(fileName: string, bytes: Uint8Array): UploadFormat {
  const format = extensionFormats[path.extname(fileName).toLowerCase()];
  if (!format) {
    throw new DocumentError(
      'unsupported_format',
      fileName,
      'unsupported file type (use .md, .markdown, .html, .htm or .pdf)',
    );
  }
  const head = Buffer.from(bytes.subarray(0, 1024));
  const isPdf = head.subarray(0, 5).toString('latin1') === '%PDF-';
  if (format === 'pdf') {
    if (!isPdf) throw new DocumentError('unsupported_format', fileName, 'is named .pdf but is not a PDF');
    return format;
  }
  if (isPdf) throw new DocumentError('unsupported_format', fileName, 'is a PDF: name it .pdf');
  if (head.includes(0))
    throw new DocumentError('binary', fileName, 'looks like a binary file (it holds NUL bytes)');
  if (format === 'html' && !/^\s*(<!--[\s\S]*?-->\s*)*</.test(head.toString('utf8').replace(/^\uFEFF/, ''))) {
    throw new DocumentError('unsupported_format', fileName, 'is named .html but does not start with a tag');
  }
  return format;
}

/** The text of a PDF, page by page, and its title if its metadata has one. */
export interface PdfText {
  pages: number;
  text: string;
  title: string | null;
}

/**
 * Reads a PDF's text with unpdf (pdf.js). Refused with `unreadable_pdf`: a file pdf.js cannot open
 * (damaged, encrypted), more than `maxPages` pages, or no text at all (a scan: images of pages, which
 * would need OCR).
 */
export async function readPdfText(
  fileName: string,
  bytes: Uint8Array,
  maxPages: number = uploadLimits.pdfPages,
): Promise<PdfText> {
  let document: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given: a copy keeps the caller's.
    document = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (error) {
    throw new DocumentError(
      'unreadable_pdf',
      fileName,
      `could not be read as a PDF (${(error as Error).message.split('\n')[0]})`,
    );
  }
  try {
    if (document.numPages > maxPages) {
      throw new DocumentError(
        'unreadable_pdf',
        fileName,
        `has ${document.numPages} pages, over the ${maxPages}-page limit: split it`,
      );
    }
    const { text } = await extractText(document, { mergePages: false });
    const meta = await getMeta(document).catch(() => null);
    const pages = text.map((page) => page.replace(/[ \t]+\n/g, '\n').trim()).filter(Boolean);
    if (!pages.join('').match(/[\p{L}\p{N}]/u)) {
      throw new DocumentError(
        'unreadable_pdf',
        fileName,
        'has no text to index (a scanned or image-only PDF needs OCR first)',
      );
    }
    const title = typeof meta?.info?.Title === 'string' ? meta.info.Title.trim() : '';
    return { pages: document.numPages, text: pages.join('\n\n'), title: title || null };
  } finally {
    await document.cleanup().catch(() => {});
  }
}

/** A stored article as the admin edits it. */
export interface StoredArticle {
  slug: string;
  title: string;
  url: string | null;
  category: string | null;
  tags: string[];
  visibility: Visibility;
  format: string;
  body: string;
  published: boolean;
  chunks: number;
  updated_at: Date;
  ingested_at: Date;
}

/** One stored article with its chunk count, or null. */
export async function loadArticle(db: Queryable, slug: string): Promise<StoredArticle | null> {
  const { rows } = await db.query<StoredArticle>(
    `SELECT a.slug, a.title, a.url, a.category, a.tags, a.visibility, a.format, a.body, a.published,
       a.updated_at, a.ingested_at,
       (SELECT count(*)::int FROM kb_chunks c WHERE c.article_slug = a.slug) AS chunks
     FROM kb_articles a WHERE a.slug = $1`,
    [slug],
  );
  return rows[0] ?? null;
}

/**
 * The article as Markdown with its metadata in front matter: what the edit form shows and sends
 * back. Whatever it was uploaded as (HTML, PDF), the stored body is Markdown, so that is what is edited.
 */
export function editableMarkdown(article: StoredArticle): string {
  const front: Record<string, unknown> = { title: article.title, visibility: article.visibility };
  if (article.url && article.url !== `/help/${article.slug}`) front.url = article.url;
  if (article.category) front.category = article.category;
  if (article.tags.length > 0) front.tags = article.tags;
  return matter.stringify(`${article.body.trim()}\n`, front);
}

/** The stored article as a document the ingester takes again (publishing re-chunks it). */
export function storedAsDocument(article: StoredArticle): RawDocument {
  return {
    source: `${article.slug}.md`,
    content: article.body,
    format: 'markdown',
    metadata: {
      slug: article.slug,
      title: article.title,
      url: article.url,
      visibility: article.visibility,
      tags: article.tags,
      category: article.category,
      updated_at: article.updated_at,
    },
  };
}

/** Tells searches that the index changed, so their vocabulary cache is refreshed. */
async function bumpIndex(db: Queryable): Promise<void> {
  await db.query('UPDATE kb_index SET updated_at = clock_timestamp() WHERE id');
}

/**
 * Takes an article out of search at once — its chunks (text and vectors) are deleted in the same
 * transaction that marks it unpublished — and keeps the row for editing. False when there is none.
 */
export async function unpublishArticle(pool: pg.Pool, slug: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const { rowCount } = await client.query('UPDATE kb_articles SET published = false WHERE slug = $1', [
      slug,
    ]);
    if (!rowCount) return false;
    await client.query('DELETE FROM kb_chunks WHERE article_slug = $1', [slug]);
    await bumpIndex(client);
    return true;
  });
}

/**
 * Publishes an article again: re-chunks and embeds its stored text (outside any transaction: PGlite
 * has one connection), then marks it published and writes the chunks in one transaction. The content
 * hash is marked first, or the ingester would find the text unchanged and write nothing. Null when
 * there is no such article.
 */
export async function publishArticle(
  pool: pg.Pool,
  ingester: KnowledgeIngester,
  slug: string,
): Promise<IngestReport | null> {
  const article = await loadArticle(pool, slug);
  if (!article) return null;
  if (article.published && article.chunks > 0) return emptyReport(slug);
  await pool.query(
    `UPDATE kb_articles SET content_hash = 'republish:' || content_hash
     WHERE slug = $1 AND content_hash NOT LIKE 'republish:%'`,
    [slug],
  );
  const prepared = await ingester.prepare(pool, [storedAsDocument(article)]);
  return inTransaction(pool, async (client) => {
    await client.query('UPDATE kb_articles SET published = true WHERE slug = $1', [slug]);
    return ingester.writePrepared(client, prepared);
  });
}

const emptyReport = (slug: string): IngestReport => ({
  created: [],
  updated: [],
  unchanged: [slug],
  deleted: [],
  chunksWritten: 0,
  chunksEmbedded: 0,
  chunksReused: 0,
});

/** Deletes an article with its chunks and vectors (cascade), at once. False when there was none. */
export async function deleteArticle(pool: pg.Pool, slug: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const { rowCount } = await client.query('DELETE FROM kb_articles WHERE slug = $1', [slug]);
    if (!rowCount) return false;
    await bumpIndex(client);
    return true;
  });
}

/** How often the agent used an article over a period. */
export interface ArticleUsage {
  slug: string;
  /** Agent answers that cited it (`messages.metadata.citations`). */
  cited: number;
  /**
   * Low-confidence hand-offs whose best knowledge candidate it was (`escalations.packet
   * .knowledgeCandidates[0]`): the question was on its topic but it did not answer it well enough.
   */
  lowConfidence: number;
}

/** Usage of every article used since `since` (articles never used are absent). */
export async function articleUsage(db: Queryable, since: Date): Promise<ArticleUsage[]> {
  const { rows } = await db.query<{ slug: string; cited: number; low_confidence: number }>(
    `WITH cited AS (
       SELECT citation->>'slug' AS slug, count(DISTINCT m.id)::int AS n
       FROM messages m
       CROSS JOIN LATERAL jsonb_array_elements(
         CASE WHEN jsonb_typeof(m.metadata->'citations') = 'array' THEN m.metadata->'citations' ELSE '[]'::jsonb END
       ) AS citation
       WHERE m.role = 'agent' AND m.created_at >= $1 AND citation->>'slug' IS NOT NULL
       GROUP BY 1
     ), low AS (
       SELECT e.packet->'knowledgeCandidates'->>0 AS slug, count(*)::int AS n
       FROM escalations e
       WHERE e.reason = 'low_confidence' AND e.created_at >= $1
         AND jsonb_typeof(e.packet->'knowledgeCandidates') = 'array'
       GROUP BY 1
     )
     SELECT coalesce(cited.slug, low.slug) AS slug, coalesce(cited.n, 0) AS cited,
       coalesce(low.n, 0) AS low_confidence
     FROM cited FULL JOIN low ON low.slug = cited.slug
     WHERE coalesce(cited.slug, low.slug) IS NOT NULL
     ORDER BY 2 DESC, 3 DESC, 1`,
    [since],
  );
  return rows.map((row) => ({ slug: row.slug, cited: row.cited, lowConfidence: row.low_confidence }));
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
