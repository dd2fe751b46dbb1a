import path from 'node:path';
import matter from 'gray-matter';
import { z } from 'zod';
import { DocumentError } from './errors.ts';
import { htmlToMarkdown, readHtmlMetadata } from './html.ts';

/** Who may read an article: customers see `public` only; `internal` is for human agents. */
export type Visibility = 'public' | 'internal';
/** The format an article was written in (it is stored as Markdown either way). */
export type SourceFormat = 'markdown' | 'html' | 'text';

/** Metadata a caller can give (or override) for a document. */
export interface ArticleMetadata {
  slug?: string;
  title?: string;
  url?: string | null;
  visibility?: Visibility;
  tags?: string[];
  category?: string | null;
  updated_at?: string | Date | null;
}

/** A document as it arrives: a file's bytes, or text sent through the API. */
export interface RawDocument {
  /** What names the document in errors: a file path, or the slug for API input. */
  source: string;
  content: string | Uint8Array;
  /** Inferred from the source's extension when absent. */
  format?: SourceFormat;
  metadata?: ArticleMetadata;
}

/** A validated article ready to chunk: the body is Markdown whatever the source format. */
export interface ArticleDocument {
  source: string;
  slug: string;
  title: string;
  url: string | null;
  visibility: Visibility;
  tags: string[];
  category: string | null;
  updatedAt: Date | null;
  format: SourceFormat;
  body: string;
}

/** Limits and defaults applied while parsing documents. */
export interface ParseOptions {
  /** Documents larger than this are refused (bytes, default 1 MiB). */
  maxBytes?: number;
  /** Visibility of a document that does not say (default `internal`: fail closed, never leak). */
  defaultVisibility?: Visibility;
  /**
   * Refuse a document that does not say its visibility (front matter, `<meta name="visibility">` or
   * the caller's metadata) instead of defaulting it: what the admin routes use, so an article pasted
   * without one is a clear error rather than a silently internal article nobody finds.
   */
  requireVisibility?: boolean;
  /** URL of an article that has none in its metadata (default `/help/<slug>`). */
  urlFor?: (slug: string) => string;
}

export const defaultMaxBytes = 1024 * 1024;
const slugPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const frontMatterSchema = z.object({
  slug: z.string().regex(slugPattern, 'must be kebab-case (a-z, 0-9, -)').optional(),
  title: z.string().trim().min(1).optional(),
  url: z.string().min(1).nullable().optional(),
  visibility: z.enum(['public', 'internal']).optional(),
  tags: z
    .union([z.array(z.union([z.string(), z.number()])), z.string()])
    .transform((tags) => (typeof tags === 'string' ? tags.split(',') : tags.map(String)))
    .optional(),
  category: z.string().nullable().optional(),
  updated_at: z
    .union([z.date(), z.string()])
    .nullable()
    .optional()
    .refine((value) => value == null || !Number.isNaN(new Date(value).getTime()), 'must be a date'),
});

/** Infers the format from a file name; null when the extension is not one we ingest. */
export function formatOf(source: string): SourceFormat | null {
  const extension = path.extname(source).toLowerCase();
  if (extension === '.md' || extension === '.markdown') return 'markdown';
  if (extension === '.html' || extension === '.htm') return 'html';
  if (extension === '.txt' || extension === '.text') return 'text';
  return null;
}

/** Decodes bytes as strict UTF-8 and refuses binary content, naming the document. */
export function decodeDocument(
  source: string,
  content: string | Uint8Array,
  maxBytes = defaultMaxBytes,
): string {
  const size = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.byteLength;
  if (size > maxBytes)
    throw new DocumentError(
      'too_large',
      source,
      `document is ${size} bytes, over the ${maxBytes}-byte limit`,
    );
  let text: string;
  if (typeof content === 'string') {
    if (!content.isWellFormed())
      throw new DocumentError(
        'invalid_encoding',
        source,
        'text holds unpaired surrogates (not valid Unicode)',
      );
    text = content;
  } else {
    if (content.includes(0))
      throw new DocumentError('binary', source, 'looks like a binary file (it holds NUL bytes)');
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      throw new DocumentError(
        'invalid_encoding',
        source,
        'is not valid UTF-8; convert it to UTF-8 and ingest again',
      );
    }
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: counting control characters is how binary content is detected.
  const controls = text.match(/[\u0000-\u0008\u000e-\u001f\u007f]/g)?.length ?? 0;
  if (text.includes('\u0000') || controls > Math.max(8, text.length * 0.01)) {
    throw new DocumentError('binary', source, 'looks like a binary file (it holds control characters)');
  }
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** Parses and validates one document: metadata from front matter / HTML meta tags / caller, body as Markdown. */
export function parseDocument(raw: RawDocument, options: ParseOptions = {}): ArticleDocument {
  const format = raw.format ?? formatOf(raw.source);
  if (!format) {
    throw new DocumentError(
      'unsupported_format',
      raw.source,
      'unsupported file type (use .md, .html or .txt)',
    );
  }
  const text = decodeDocument(raw.source, raw.content, options.maxBytes);
  if (!/[\p{L}\p{N}]/u.test(text)) throw new DocumentError('empty', raw.source, 'is empty');
  let parsed: matter.GrayMatterFile<string>;
  try {
    // A fresh options object: gray-matter caches by content otherwise and may return stale data.
    parsed = matter(text, {});
  } catch (error) {
    throw new DocumentError(
      'invalid_metadata',
      raw.source,
      `front matter is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const front = frontMatterSchema.safeParse(parsed.data);
  if (!front.success) {
    const issue = front.error.issues[0]!;
    throw new DocumentError(
      'invalid_metadata',
      raw.source,
      `front matter ${issue.path.join('.') || 'block'} ${issue.message}`,
    );
  }
  const { body, derivedTitle, htmlMeta } = toMarkdown(format, parsed.content);
  const metadata = { ...htmlMeta, ...stripUndefined(front.data), ...stripUndefined(raw.metadata ?? {}) };
  const slug = metadata.slug ?? slugFromSource(raw.source);
  if (!slug || !slugPattern.test(slug)) {
    throw new DocumentError(
      'invalid_metadata',
      raw.source,
      `slug "${slug}" must be kebab-case (a-z, 0-9, -)`,
    );
  }
  const title = (metadata.title ?? derivedTitle.title)?.trim();
  if (!title)
    throw new DocumentError(
      'invalid_metadata',
      raw.source,
      'has no title (front matter `title`, a `# Heading` or <title>)',
    );
  // The body's own title line is dropped only when it is the title, so no heading is lost.
  const sameTitle = derivedTitle.title?.trim().toLowerCase() === title.toLowerCase();
  const content = sameTitle ? derivedTitle.rest : body;
  if (!/[\p{L}\p{N}]/u.test(content)) throw new DocumentError('empty', raw.source, 'has no text to index');
  if (options.requireVisibility && metadata.visibility === undefined) {
    throw new DocumentError(
      'missing_visibility',
      raw.source,
      'has no visibility: choose public (customers and the agent) or internal (staff only)',
    );
  }
  const updatedAt = metadata.updated_at ? new Date(metadata.updated_at) : null;
  if (updatedAt && Number.isNaN(updatedAt.getTime()))
    throw new DocumentError('invalid_metadata', raw.source, 'updated_at must be a date');
  return {
    source: raw.source,
    slug,
    title,
    url: metadata.url ?? (options.urlFor ? options.urlFor(slug) : `/help/${slug}`),
    visibility: metadata.visibility ?? options.defaultVisibility ?? 'internal',
    tags: [...new Set((metadata.tags ?? []).map((tag) => tag.trim().toLowerCase()).filter(Boolean))],
    category: metadata.category?.trim() || null,
    updatedAt,
    format,
    body: content.trim(),
  };
}

interface Converted {
  body: string;
  /** A title found in the body (first `# H1`, or the first line of a text file) and the body without it. */
  derivedTitle: { title?: string; rest: string };
  htmlMeta: ArticleMetadata;
}

function toMarkdown(format: SourceFormat, content: string): Converted {
  if (format === 'html') {
    const { title, meta } = readHtmlMetadata(content);
    const body = htmlToMarkdown(content);
    const htmlMeta = stripUndefined({
      slug: meta.slug,
      visibility:
        meta.visibility === 'public' || meta.visibility === 'internal' ? meta.visibility : undefined,
      tags: meta.tags ? meta.tags.split(',') : meta.keywords ? meta.keywords.split(',') : undefined,
      category: meta.category,
      updated_at: meta.updated_at,
      url: meta.url,
    }) as ArticleMetadata;
    const heading = leadingHeading(body);
    return {
      body,
      derivedTitle: title ? { title, rest: heading.title === title ? heading.rest : body } : heading,
      htmlMeta,
    };
  }
  if (format === 'text') {
    // Plain text has no markup: escape what Markdown would read as structure.
    const body = content.replace(/^(\s*)([#>])/gm, '$1\\$2').trim();
    const firstLine = /^([^\n]{1,150})\n\s*\n/.exec(body);
    return {
      body,
      derivedTitle: firstLine
        ? { title: firstLine[1]!.trim(), rest: body.slice(firstLine[0].length) }
        : { rest: body },
      htmlMeta: {},
    };
  }
  return { body: content.trim(), derivedTitle: leadingHeading(content.trim()), htmlMeta: {} };
}

function leadingHeading(markdown: string): { title?: string; rest: string } {
  const match = /^#\s+(.+?)\s*#*\s*(\n|$)/.exec(markdown);
  return match ? { title: match[1]!, rest: markdown.slice(match[0].length).trim() } : { rest: markdown };
}

function slugFromSource(source: string): string {
  return path
    .basename(source, path.extname(source))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
