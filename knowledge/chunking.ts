import { createHash } from 'node:crypto';
import { marked, type Token, type Tokens } from 'marked';

/** One indexed passage of an article. */
export interface Chunk {
  ordinal: number;
  /** The article title, then the headings above this passage (outermost first). */
  headingPath: string[];
  /** `headingPath` joined with ' > '. */
  heading: string;
  /** Markdown text of the passage. */
  content: string;
  /** Heading path plus plain text: what a whole-chunk embedding sees, and what the content hash covers. */
  embeddingText: string;
  words: number;
}

/** Chunk sizes in words. */
export interface ChunkOptions {
  minWords?: number;
  maxWords?: number;
  /** Words repeated from the end of the previous chunk when a section is split. */
  overlapWords?: number;
}

const defaults = { minWords: 120, maxWords: 250, overlapWords: 30 };

/** An atomic piece of text that is never split: a sentence, a list item, a table row, a code block. */
interface Piece {
  text: string;
  words: number;
  /** How it joins the previous piece of the same block ('' starts a new block). */
  joiner: ' ' | '\n' | '';
  /** Table header rows repeated at the top of a chunk that starts inside the table. */
  tableHeader?: string;
}

interface Section {
  path: string[];
  pieces: Piece[];
}

export const countWords = (text: string): number =>
  text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Splits an article's Markdown into passages of ~minWords–maxWords words along its heading
 * structure. Each passage keeps its heading path; a section too long for one passage is cut at
 * sentence/item boundaries with a small overlap; consecutive short sections are merged.
 */
export function chunkArticle(title: string, markdown: string, options: ChunkOptions = {}): Chunk[] {
  const settings = { ...defaults, ...options };
  const sections = splitSections(title, markdown);
  const drafts: Array<{ path: string[]; text: string; words: number }> = [];
  let pending: { path: string[]; text: string; words: number } | null = null;
  for (const section of sections) {
    const total = section.pieces.reduce((sum, piece) => sum + piece.words, 0);
    if (total === 0) continue;
    const headingLine = `${'#'.repeat(Math.min(6, section.path.length + 1))} ${section.path.at(-1)}`;
    // A short section joins the passage before it when both fit, under the earlier heading.
    const short = pending && (pending.words < settings.minWords || total < settings.minWords / 2);
    if (pending && short && pending.words + total <= settings.maxWords) {
      const isChild =
        section.path.length > pending.path.length &&
        pending.path.every((part, i) => section.path[i] === part);
      pending.text += `\n\n${headingLine}\n\n${joinPieces(section.pieces)}`;
      pending.words += total;
      if (!isChild && section.path.length < pending.path.length)
        pending.path = commonPrefix(pending.path, section.path);
      continue;
    }
    if (pending) drafts.push(pending);
    pending = null;
    const parts = packSection(section.pieces, total, settings);
    for (const [index, text] of parts.entries()) {
      const draft = { path: section.path, text, words: countWords(text) };
      if (index === parts.length - 1) pending = draft;
      else drafts.push(draft);
    }
  }
  if (pending) drafts.push(pending);
  return drafts.map((draft, ordinal) => {
    const heading = draft.path.join(' > ');
    return {
      ordinal,
      headingPath: draft.path,
      heading,
      content: draft.text,
      embeddingText: `${heading}\n${plainText(draft.text)}`,
      words: draft.words,
    };
  });
}

function commonPrefix(a: string[], b: string[]): string[] {
  const prefix: string[] = [];
  for (let i = 0; i < Math.min(a.length, b.length) && a[i] === b[i]; i++) prefix.push(a[i]!);
  return prefix.length > 0 ? prefix : a.slice(0, 1);
}

function splitSections(title: string, markdown: string): Section[] {
  const sections: Section[] = [{ path: [title], pieces: [] }];
  const headings: Array<{ depth: number; text: string }> = [];
  for (const token of marked.lexer(markdown)) {
    if (token.type === 'heading') {
      const heading = token as Tokens.Heading;
      while (headings.length > 0 && headings.at(-1)!.depth >= heading.depth) headings.pop();
      headings.push({ depth: heading.depth, text: inlineText(heading.text) });
      sections.push({ path: [title, ...headings.map((entry) => entry.text)], pieces: [] });
      continue;
    }
    sections.at(-1)!.pieces.push(...blockPieces(token));
  }
  return sections;
}

function blockPieces(token: Token): Piece[] {
  switch (token.type) {
    case 'space':
    case 'hr':
    case 'def':
      return [];
    case 'paragraph':
    case 'text':
      return splitSentences(token.raw.trim()).map((text, index) => piece(text, index === 0 ? '' : ' '));
    case 'list':
      return (token as Tokens.List).items.map((item, index) =>
        piece(item.raw.replace(/\n+$/, '').replace(/\n\s*\n/g, '\n'), index === 0 ? '' : '\n'),
      );
    case 'table': {
      const lines = token.raw.trim().split('\n');
      const header = lines.slice(0, 2).join('\n');
      return [
        piece(header, ''),
        ...lines.slice(2).map((line) => ({ ...piece(line, '\n'), tableHeader: header })),
      ];
    }
    case 'blockquote':
      return splitSentences(token.raw.trim()).map((text, index) => piece(text, index === 0 ? '' : ' '));
    default:
      return token.raw.trim() ? [piece(token.raw.trim(), '')] : [];
  }
}

const piece = (text: string, joiner: Piece['joiner']): Piece => ({
  text,
  words: countWords(plainText(text)),
  joiner,
});

// Abbreviations after which a period does not end a sentence.
const abbreviations = /(?:\b(?:e\.g|i\.e|etc|vs|approx|incl|no|mr|mrs|ms|dr|st|fig|min|max)|\b[A-Z])\.$/i;

/** Splits prose into sentences (never mid-sentence); keeps abbreviations and decimals intact. */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  const boundary = /[.!?][)"'*_]*\s+(?=[A-Z0-9"'(*[`_])/g;
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].length;
    const candidate = text.slice(start, match.index + 1);
    if (abbreviations.test(candidate)) continue;
    sentences.push(text.slice(start, end).trim());
    start = end;
  }
  const rest = text.slice(start).trim();
  if (rest) sentences.push(rest);
  return sentences;
}

function packSection(pieces: Piece[], total: number, settings: typeof defaults): string[] {
  if (total <= settings.maxWords) return [joinPieces(pieces)];
  // Even parts rather than full ones followed by a runt.
  const target = Math.max(
    settings.minWords,
    Math.ceil(total / Math.ceil(total / ((settings.minWords + settings.maxWords) / 2))),
  );
  const chunks: string[] = [];
  let current: Piece[] = [];
  let words = 0;
  for (const next of pieces) {
    if (current.length > 0 && (words >= target || words + next.words > settings.maxWords)) {
      chunks.push(joinPieces(current));
      const overlap = overlapPieces(current, settings.overlapWords);
      current =
        next.tableHeader && next.joiner !== '' ? [{ text: next.tableHeader, words: 0, joiner: '' }] : overlap;
      words = current.reduce((sum, entry) => sum + entry.words, 0);
    }
    current.push(next);
    words += next.words;
  }
  if (current.length > 0) chunks.push(joinPieces(current));
  return chunks;
}

/** The last whole pieces of a chunk, up to `limit` words, to repeat at the start of the next. */
function overlapPieces(pieces: Piece[], limit: number): Piece[] {
  const last = pieces.at(-1);
  if (!last || last.words > limit || last.tableHeader || last.joiner === '\n') return [];
  return [{ ...last, joiner: '' }];
}

function joinPieces(pieces: Piece[]): string {
  let text = '';
  for (const entry of pieces) {
    if (!text) text = entry.text;
    else text += entry.joiner === '' ? `\n\n${entry.text}` : `${entry.joiner}${entry.text}`;
  }
  return text;
}

/** Markdown to plain text for embedding and word counts (emphasis, links, table pipes removed). */
export function plainText(markdown: string): string {
  return markdown
    .replace(/```[^\n]*\n/g, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*$/gm, '')
    .replace(/\s*\|\s*/g, ' | ')
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/[*_`~]+/g, '')
    .replace(/^\s*[-+>]\s+/gm, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{2,}/g, '\n')
    .trim();
}

function inlineText(text: string): string {
  return plainText(text).replace(/\s+/g, ' ').trim();
}
