import { englishStopwords } from '../../connectors/core/english-stopwords.ts';

/**
 * How the local reasoner turns retrieved passages into a reply: which passage answers best, whether
 * it covers the question, and the sentences (with the list items they introduce) to quote.
 */

/** Words that carry no topic: English stopwords, and "per" ("cost per month"). */
const ignored = new Set([...englishStopwords, 'per']);

/**
 * The question's or passage's content words, lower-cased, a plural "s" dropped. In "how much",
 * "how long", "how many", "how often" the second word asks for a quantity, not about a topic.
 */
const words = (text: string) =>
  text
    .toLowerCase()
    .replace(/\bhow (much|long|many|often|soon|far)\b/g, 'how')
    .match(/[a-z0-9]+/g)
    ?.map((word) => word.replace(/s$/, ''))
    .filter((word) => !ignored.has(word)) ?? [];

/**
 * Of the retrieved passages, the one that best covers the question's words, each word weighted by
 * how rare it is among the passages (so "Pro" beats "API" when every passage says "API").
 */
export function bestPassage<T extends { content: string; heading: string }>(
  passages: T[],
  question: string,
): T {
  const asked = new Set(words(question));
  const present = passages.map((passage) => new Set(words(`${passage.heading} ${passage.content}`)));
  const weight = (word: string) =>
    Math.log(1 + passages.length / (1 + present.filter((set) => set.has(word)).length));
  let best = passages[0]!;
  let bestScore = -1;
  passages.forEach((passage, position) => {
    const score = [...asked].reduce(
      (sum, word) => sum + (present[position]!.has(word) ? weight(word) : 0),
      0,
    );
    if (score > bestScore + 1e-9) {
      best = passage;
      bestScore = score;
    }
  });
  return best;
}

const generic = new Set(
  'lumen cloud really need know want please help thank thanks there one any some get use using way question ask tell'.split(
    ' ',
  ),
);

/** Levenshtein distance up to `limit` (early exit), for typo-tolerant word matching. */
function within(a: string, b: string, limit: number): boolean {
  if (Math.abs(a.length - b.length) > limit) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    if (Math.min(...current) > limit) return false;
    previous = current;
  }
  return previous[b.length]! <= limit;
}

/**
 * A second gate after the calibrated confidence: the passage must mention most of the question's
 * distinctive words (typos allowed). "Is there a connector for SAP?" is not answered by the HubSpot
 * article just because both are about connectors.
 */
export function covers(
  passage: { title: string; heading: string; content: string },
  question: string,
): boolean {
  const asked = [...new Set(words(question))].filter((word) => word.length >= 3 && !generic.has(word));
  if (asked.length === 0) return true;
  const present = [...new Set(words(`${passage.title} ${passage.heading} ${passage.content}`))];
  const missing = asked.filter(
    (word) =>
      !present.some(
        (known) => known === word || (word.length >= 4 && within(word, known, word.length >= 7 ? 2 : 1)),
      ),
  );
  return missing.length <= Math.max(1, Math.floor(asked.length * 0.4));
}

/** One quotable unit of a passage: a prose sentence, a list item or a table row. */
export interface PassageSentence {
  text: string;
  kind: 'sentence' | 'item' | 'row';
  /** A table row's cells (the first is its label) and its table's header, when the table has one. */
  cells?: string[];
  header?: string[];
}

/**
 * A table row as a sentence: its label, then the columns the question names ("Price — Business:
 * $499/month.") or, when it names none, every column with its header ("Pro — Requests per minute: 1,000.").
 */
function renderRow(row: PassageSentence, asked: ReadonlySet<string>): string {
  if (!row.cells || !row.header) return row.text;
  const [label, ...values] = row.cells;
  const columns = values.map((value, index) => ({ name: row.header![index + 1] ?? '', value }));
  const named = columns.filter((column) => words(column.name).some((word) => asked.has(word)));
  const shown = (named.length > 0 ? named : columns).map((column) =>
    column.name ? `${column.name}: ${column.value}` : column.value,
  );
  return `${label} — ${shown.join('; ')}.`;
}

/** A sentence's similarity above this floor counts, scaled to weigh like two or three rare shared words. */
const semanticFloor = 0.3;
const semanticWeight = 8;

/** Sentences about the article itself ("This article explains how to…") answer nothing. */
const aboutTheArticle = /^(this|the following) (article|page|guide|section)\b/i;

/**
 * The answer: the passage's sentences that share most (rare) words with the question, in their
 * original order, up to ~500 characters — so "Frankfurt" or "HMAC" is said, not just the intro —
 * plus the table rows that name something the question asks about ("Pro — Requests per minute: 1,000."). A chosen
 * sentence that introduces a list ("To verify a request:") brings the list's items with it.
 * `sentences` caps the sentences (and rows) chosen: 3 by default. `semantic` (the question's
 * similarity to each unit of `sentencesOf(content)`, from `support`) adds meaning to the word overlap,
 * so "when will I see it on my card" picks the sentence about how long a refund takes to arrive.
 */
export function extract(
  content: string,
  question: string,
  options: { sentences?: number; semantic?: number[] } = {},
): string {
  const limit = options.sentences ?? 3;
  const sentences = sentencesOf(content);
  const asked = new Set(words(question));
  if (sentences.length <= Math.min(2, limit))
    return sentences.map((item) => renderRow(item, asked)).join(' ');
  const present = sentences.map((item) => new Set(words(item.text)));
  const weight = (word: string) =>
    Math.log(1 + sentences.length / (1 + present.filter((set) => set.has(word)).length));
  const scored = sentences.map((item, position) => ({
    position,
    ...item,
    score:
      [...asked].reduce((sum, word) => sum + (present[position]!.has(word) ? weight(word) : 0), 0) -
      position * 0.01 +
      semanticWeight * Math.max(0, (options.semantic?.[position] ?? 0) - semanticFloor) -
      (aboutTheArticle.test(item.text) ? 100 : 0),
  }));
  const chosen = new Set<number>();
  let length = 0;
  for (const item of [...scored].filter((entry) => entry.kind !== 'row').sort((a, b) => b.score - a.score)) {
    if (chosen.size >= limit || (length + item.text.length > 500 && chosen.size > 0)) break;
    chosen.add(item.position);
    length += item.text.length;
  }
  // A lead-in ending with ":" is only useful with what it introduces: its list items, to ~800 characters.
  for (const position of [...chosen].sort((a, b) => a - b)) {
    if (!sentences[position]!.text.endsWith(':')) continue;
    for (let next = position + 1; next < sentences.length && sentences[next]!.kind === 'item'; next += 1) {
      if (chosen.has(next)) continue;
      if (length + sentences[next]!.text.length > 800) break;
      chosen.add(next);
      length += sentences[next]!.text.length;
    }
  }
  // Table rows are facts: add the rows whose words the question uses, said with their headers.
  const rows = scored
    .filter((entry) => entry.kind === 'row' && entry.score > 0.5)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
  for (const row of rows) chosen.add(row.position);
  return [...chosen]
    .sort((a, b) => a - b)
    .map((position) => renderRow(sentences[position]!, asked))
    .join(' ');
}

const entities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  rarr: '→',
  larr: '←',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
};

/** `&amp;`, `&#39;`, `&#x2014;` → their characters; an unknown named entity stays as written. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] !== '#') return entities[name.toLowerCase()] ?? whole;
    const code =
      name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * The passage as plain units (Markdown markup removed): prose split into sentences, each list item
 * and each table row on its own. Code blocks are left out: they are not sentences to quote.
 */
export function sentencesOf(content: string): PassageSentence[] {
  const clean = (text: string) =>
    decodeEntities(
      text
        // HTML inside an article's Markdown is markup, never words to say: scripts and styles go whole,
        // other tags (an <img>, a <br>) leave a space, an image leaves its alt text.
        .replace(/<!--[\s\S]*?-->/g, ' ')
        .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
        .replace(/<img\b[^>]*?\balt\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*>/gi, ' $1$2 ')
        .replace(/<\/?[a-z][^>]*>/gi, ' ')
        .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/\*\*|__|`/g, '')
        .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1'),
    )
      .replace(/\s+/g, ' ')
      .replace(/ ([.,;:!?])(?=\s|$)/g, '$1') // where a closing tag stood before the punctuation
      .trim();
  const out: PassageSentence[] = [];
  let prose = '';
  let inCode = false;
  const flush = () => {
    const plain = clean(prose);
    for (const sentence of plain.match(/[^.!?]+[.!?]+(\s|$)|[^.!?]+$/g) ?? [])
      if (sentence.trim()) out.push({ text: sentence.trim(), kind: 'sentence' });
    prose = '';
  };
  const separator = /^\|?\s*:?-{3,}/;
  const lines = content.split('\n');
  let header: string[] | undefined;
  for (const [index, line] of lines.entries()) {
    if (/^\s*(```|~~~)/.test(line)) {
      flush();
      inCode = !inCode;
      continue;
    }
    if (inCode || separator.test(line) || /^#+\s/.test(line)) continue;
    const row = line.match(/^\|(.+)\|\s*$/);
    const item = line.match(/^\s*(?:[-*+]|\d+[.)])\s+(.+)$/);
    if (!row) header = undefined;
    if (row) {
      flush();
      const cells = row[1]!.split('|').map((cell) => clean(cell));
      // A row followed by the |---| line is its table's header: it names the columns, it states no fact.
      if (separator.test(lines[index + 1] ?? '')) {
        header = cells;
        continue;
      }
      out.push({
        text: `${cells.filter(Boolean).join(': ')}.`,
        kind: 'row',
        cells,
        ...(header ? { header } : {}),
      });
    } else if (item) {
      flush();
      const text = clean(item[1]!);
      out.push({ text: /[.!?:]$/.test(text) ? text : `${text}.`, kind: 'item' });
    } else {
      prose += `${line}\n`;
      // A line ending with ":" introduces what follows (a list, a code block): it ends its sentence.
      if (/:\s*$/.test(line)) flush();
    }
  }
  flush();
  return out;
}

/** Greetings, hedges and apologies around a question ("hope you're well", "sorry if this is silly"). */
const hedge =
  /^(?:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening)|hope|thanks|thank you|cheers|sorry|apologies|quick (?:one|q|question)|just|like|um+|uh+|so|ok(?:ay)?|well|btw|this (?:is|may be|might be) (?:a )?(?:silly|dumb|stupid))\b|\b(?:silly|dumb|stupid|basic) question\b/i;

/**
 * The question a message asks, without the pleasantries and hedges around it: a search for "Hi there,
 * hope you're well! Quick one, sorry if this is silly, but how long is data kept?" matches greetings
 * as much as the topic. The sentences asking (ending in "?") are kept with the clauses of theirs that
 * are not a hedge; a message without a question mark, or one that would be left empty, is kept whole.
 */
export function focusQuestion(message: string): string {
  const sentences = message.match(/[^.!?]+[.!?]*/g)?.map((sentence) => sentence.trim()) ?? [];
  const asking = sentences.filter((sentence) => sentence.endsWith('?'));
  if (asking.length === 0) return message;
  const focused = asking
    .map((sentence) =>
      sentence
        .split(/,\s*(?:but\s+)?|\s+but\s+/i)
        .filter((clause) => clause.trim().length > 0 && !hedge.test(clause.trim()))
        .join(', '),
    )
    .filter((sentence) => sentence.split(/\s+/).length >= 3);
  return focused.length > 0 ? focused.join(' ') : message;
}

/**
 * Meaning-based support (issue #19, pattern 5): when the best passage lacks the question's words, a
 * retrieved passage whose best sentence is at least this similar to the question supports the answer
 * ("shove into one batch" / "events per batch request"), provided the knowledge base's calibrated
 * confidence is at least `meaningNeedsConfidence` (meaning alone also matches near-misses). Fitted on
 * the labeled questions (knowledge/eval/questions.yaml, all 318, in-sample; 0.60–0.62 score the same
 * there, the stricter end is taken) with the agent gate table of `npm run bench:retrieval`: answerable
 * refused 2.9 %, unanswerable detected 80.0 % (docs/evals.md).
 */
export const sentenceSupportThreshold = 0.4;
export const meaningNeedsConfidence = 0.62;

/** How well a passage supports the question by meaning: each sentence's similarity, and the best. */
export interface SentenceSupport {
  best: number;
  scores: number[];
}

/**
 * Sentence-level support of a passage: the similarity of the question to each of its quotable
 * sentences (heading and title prefixed, as a reader sees them). `similarity` is the reasoner's.
 */
export async function support(
  passage: { title: string; heading: string; content: string },
  question: string,
  similarity: (query: string, texts: string[]) => Promise<number[]>,
): Promise<SentenceSupport> {
  const units = sentencesOf(passage.content).map((item) => item.text);
  if (units.length === 0) return { best: 0, scores: [] };
  const scores = await similarity(question, units);
  return { best: Math.max(...scores), scores };
}
