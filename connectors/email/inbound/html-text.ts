import sanitizeHtml from 'sanitize-html';
import TurndownService from 'turndown';

// Elements whose text must not survive as body text once their tag is dropped.
const droppedWithContent = [
  'script',
  'style',
  'head',
  'title',
  'template',
  'noscript',
  'textarea',
  'option',
  'svg',
  'iframe',
  'object',
  'embed',
  'canvas',
];

// Structure that carries the reply's shape: line breaks, paragraphs, quotes, rules, lists, tables.
const structuralTags = [
  'div',
  'p',
  'br',
  'blockquote',
  'hr',
  'ul',
  'ol',
  'li',
  'table',
  'tbody',
  'thead',
  'tr',
  'td',
  'th',
  'pre',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
];

/** The few DOM members the rules read (the project compiles without the DOM lib). */
interface DomNode {
  nodeName: string;
  textContent: string | null;
}

function createTurndown(): TurndownService {
  const service = new TurndownService({ hr: '---', bulletListMarker: '-', headingStyle: 'atx' });
  // Mail text is read, not rendered: no Markdown escapes in the customer's words.
  service.escape = (text: string) => text;
  // A mail client's <div> is one line (Gmail, Outlook on the web, Apple Mail); <div><br></div> a blank one.
  service.addRule('line', { filter: 'div', replacement: (content) => `\n${content}\n` });
  service.addRule('cell', {
    filter: ['td', 'th'],
    replacement: (content) => ` ${content.replace(/\s+/g, ' ').trim()} `,
  });
  service.addRule('row', { filter: 'tr', replacement: (content) => `\n${content.trim()}\n` });
  service.addRule('heading', {
    filter: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
    replacement: (_content, node) => `\n\n${(node as unknown as DomNode).textContent?.trim() ?? ''}\n\n`,
  });
  return service;
}

/**
 * HTML beyond this is not read: sanitize-html's parser slows down steeply with deep nesting (100,000
 * nested elements took 16 s), and the new part of a reply is at the top.
 */
export const maxHtmlCharacters = 250_000;

/** Deeper sanitised markup is read as flat text: turndown walks the tree recursively (20,000 levels overflow the stack). */
export const maxHtmlDepth = 200;

/** The deepest element nesting of well-formed markup (sanitize-html's output: every element closed). */
function nestingDepth(html: string): number {
  let depth = 0;
  let deepest = 0;
  for (const match of html.matchAll(/<(\/?)([a-z][a-z0-9]*)[^>]*?(\/?)>/gi)) {
    if (match[3] === '/' || /^(br|hr)$/i.test(match[2]!)) continue;
    depth += match[1] === '/' ? -1 : 1;
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

/** The text alone, one line per block, for markup too deep to walk. */
function flatText(clean: string): string {
  const lines = clean.replace(/<(br|hr)\s*\/?>|<\/(div|p|li|tr|h[1-6]|blockquote|pre|table)>/gi, '\n');
  return sanitizeHtml(lines, { allowedTags: [], allowedAttributes: {} }).replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_entity, name: string) => entities[name]!,
  );
}

/**
 * The text of an HTML mail body, sanitised first (scripts, styles, hidden elements' text, images,
 * links' targets and every attribute dropped), with the structure a reply parser needs: one line per
 * `<br>`/block, `> ` before quoted (`<blockquote>`) lines, `---` for a rule. Only the first
 * `maxHtmlCharacters` are read; markup nested deeper than `maxHtmlDepth` is read as flat text.
 */
export function htmlMailToText(html: string): string {
  const clean = sanitizeHtml(html.slice(0, maxHtmlCharacters), {
    allowedTags: structuralTags,
    allowedAttributes: {},
    nonTextTags: droppedWithContent,
  });
  const text = nestingDepth(clean) > maxHtmlDepth ? flatText(clean) : createTurndown().turndown(clean);
  return text
    .replace(/\u00a0/g, ' ')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
