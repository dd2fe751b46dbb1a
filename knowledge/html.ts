import sanitizeHtml from 'sanitize-html';
import TurndownService from 'turndown';

/** Metadata an HTML page can carry in `<title>` and `<meta name=… content=…>`. */
export interface HtmlMetadata {
  title?: string;
  meta: Record<string, string>;
}

// Elements whose text must not survive as body text once their tag is dropped.
const droppedWithContent = [
  'script',
  'style',
  'textarea',
  'option',
  'noscript',
  'title',
  'head',
  'template',
  'svg',
  'iframe',
  'object',
  'embed',
  'canvas',
];

/**
 * Removes everything but document structure and text: scripts, styles, event handlers, iframes,
 * forms and `javascript:` links are dropped; headings, lists, tables, code and links stay.
 */
export function sanitizeArticleHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'h1', 'h2'].filter(
      (tag) => !droppedWithContent.includes(tag),
    ),
    allowedAttributes: { a: ['href', 'title'], td: ['colspan'], th: ['colspan'], code: ['class'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    nonTextTags: droppedWithContent,
  });
}

/** Reads `<title>` and named `<meta>` tags from raw HTML (before sanitising drops them). */
export function readHtmlMetadata(html: string): HtmlMetadata {
  const meta: Record<string, string> = {};
  for (const match of html.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = match[0];
    const name = /\bname\s*=\s*["']([^"']+)["']/i.exec(tag)?.[1];
    const content = /\bcontent\s*=\s*["']([^"']*)["']/i.exec(tag)?.[1];
    if (name && content !== undefined) meta[name.toLowerCase()] = decodeEntities(content);
  }
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const cleanTitle = title ? decodeEntities(title.replace(/<[^>]*>/g, '')).trim() : '';
  return cleanTitle ? { title: cleanTitle, meta } : { meta };
}

function decodeEntities(text: string): string {
  return sanitizeHtml(text, { allowedTags: [], allowedAttributes: {} })
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

/** The few DOM members the table rule reads (the project compiles without the DOM lib). */
interface DomNode {
  nodeName: string;
  parentNode: DomNode | null;
  previousSibling: DomNode | null;
  firstChild: DomNode | null;
  childNodes: ArrayLike<DomNode>;
}

function createTurndown(): TurndownService {
  const service = new TurndownService({
    headingStyle: 'atx',
    codeBlockStyle: 'fenced',
    bulletListMarker: '-',
    emDelimiter: '*',
  });
  // GFM pipe tables, so HTML tables chunk and display like Markdown ones.
  service.addRule('tableCell', {
    filter: ['th', 'td'],
    replacement: (content, node) => {
      const first = (node as unknown as DomNode).previousSibling === null;
      return `${first ? '| ' : ' '}${content.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim()} |`;
    },
  });
  service.addRule('tableRow', {
    filter: 'tr',
    replacement: (content, node) => {
      const row = node as unknown as DomNode;
      const cells = Array.from(row.childNodes).filter((child) => /^T[HD]$/.test(child.nodeName)).length;
      const separator = isHeadingRow(row) ? `\n|${' --- |'.repeat(cells)}` : '';
      return `\n${content}${separator}`;
    },
  });
  service.addRule('table', {
    filter: 'table',
    replacement: (content) => `\n\n${content.replace(/\n+/g, '\n').trim()}\n\n`,
  });
  service.addRule('tableSection', { filter: ['thead', 'tbody', 'tfoot'], replacement: (content) => content });
  return service;
}

function isHeadingRow(row: DomNode): boolean {
  const parent = row.parentNode;
  if (parent?.nodeName === 'THEAD') return true;
  const firstRow = parent?.firstChild === row || parent?.nodeName === 'TABLE';
  return (
    firstRow &&
    Array.from(row.childNodes).every((cell) => cell.nodeName === 'TH' || cell.nodeName === '#text')
  );
}

/** Sanitises HTML and converts it to Markdown, so HTML articles chunk exactly like Markdown ones. */
export function htmlToMarkdown(html: string): string {
  const clean = sanitizeArticleHtml(html);
  return createTurndown()
    .turndown(clean)
    .replace(/^(\s*)- {3}/gm, '$1- ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
