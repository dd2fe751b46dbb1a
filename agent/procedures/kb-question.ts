import type { Procedure } from './procedure.ts';

/** Answered from the knowledge base with citations; "I don't know" (and a human offered) below the threshold. */
export const kbQuestionProcedure: Procedure = {
  intent: 'kb.question',
  title: 'an answer from our help center',
  verification: 'none',
  slots: {},
  async plan(context) {
    const answer = await context.answer(context.message);
    const best = answer.passages.length > 0 ? bestPassage(answer.passages, context.message) : null;
    if (!answer.answerable || !best || !covers(best, context.message)) {
      return {
        kind: 'escalate',
        reason: 'low_confidence',
        priority: 'low',
        text: "I couldn't find a reliable answer to that in our help center, and I'd rather not guess. I've passed your question to a colleague, who will reply here.",
        summary: `Knowledge question without a good answer (confidence ${answer.confidence.toFixed(2)}): "${context.message.slice(0, 300)}"`,
      };
    }
    const excerpt = extract(best.content, context.message);
    const sources = answer.citations
      .map((citation) => `${citation.title}${citation.url ? ` (${citation.url})` : ''}`)
      .join('; ');
    return {
      kind: 'reply',
      outcome: 'answered',
      text: `From our help center, "${best.title}"${best.heading ? ` — ${best.heading}` : ''}: ${excerpt}\n\nSource: ${sources}`,
      citations: answer.citations,
    };
  },
};

const stopwords = new Set(
  'a an and are as at be by can do does for from how i in is it my of on or our the to we what when where which who why will with you your'.split(
    ' ',
  ),
);
const words = (text: string) =>
  text
    .toLowerCase()
    .match(/[a-z0-9]+/g)
    ?.map((word) => word.replace(/s$/, ''))
    .filter((word) => !stopwords.has(word)) ?? [];

/**
 * Of the retrieved passages, the one that best covers the question's words, each word weighted by
 * how rare it is among the passages (so "Pro" beats "API" when every passage says "API").
 */
function bestPassage<T extends { content: string; heading: string }>(passages: T[], question: string): T {
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
function covers(passage: { title: string; heading: string; content: string }, question: string): boolean {
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

/**
 * The answer: the passage's sentences that share most (rare) words with the question, in their
 * original order, up to ~500 characters — so "Frankfurt" or "HMAC" is said, not just the intro —
 * plus the table rows that name something the question asks about ("Pro: 1,000.").
 */
function extract(content: string, question: string): string {
  const sentences = sentencesOf(content);
  if (sentences.length <= 2) return sentences.map((item) => item.text).join(' ');
  const asked = new Set(words(question));
  const present = sentences.map((item) => new Set(words(item.text)));
  const weight = (word: string) =>
    Math.log(1 + sentences.length / (1 + present.filter((set) => set.has(word)).length));
  const scored = sentences.map((item, position) => ({
    position,
    ...item,
    score:
      [...asked].reduce((sum, word) => sum + (present[position]!.has(word) ? weight(word) : 0), 0) -
      position * 0.01,
  }));
  const chosen = new Set<number>();
  let length = 0;
  for (const item of [...scored].filter((entry) => !entry.row).sort((a, b) => b.score - a.score)) {
    if (chosen.size >= 3 || (length + item.text.length > 500 && chosen.size > 0)) break;
    chosen.add(item.position);
    length += item.text.length;
  }
  // Table rows are facts: add the rows (and their header) whose words the question uses.
  const rows = scored
    .filter((entry) => entry.row && entry.score > 0.5)
    .sort((a, b) => b.score - a.score)
    .slice(0, 3);
  for (const row of rows) chosen.add(row.position);
  return [...chosen]
    .sort((a, b) => a - b)
    .map((position) => sentences[position]!.text)
    .join(' ');
}

/** The passage as plain sentences (Markdown markup removed); each table row is its own sentence. */
function sentencesOf(content: string): Array<{ text: string; row: boolean }> {
  const clean = (text: string) =>
    text
      .replace(/\*\*|__|`/g, '')
      .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
      .replace(/\s+/g, ' ')
      .trim();
  const out: Array<{ text: string; row: boolean }> = [];
  let prose = '';
  const flush = () => {
    const plain = clean(prose);
    for (const sentence of plain.match(/[^.!?]+[.!?]+(\s|$)|[^.!?]+$/g) ?? [])
      if (sentence.trim()) out.push({ text: sentence.trim(), row: false });
    prose = '';
  };
  for (const line of content.split('\n')) {
    if (/^\|?\s*:?-{3,}/.test(line) || /^#+\s/.test(line)) continue;
    const row = line.match(/^\|(.+)\|\s*$/);
    if (row) {
      flush();
      out.push({
        text: `${clean(
          row[1]!
            .split('|')
            .map((cell) => cell.trim())
            .join(': '),
        )}.`,
        row: true,
      });
    } else prose += `${line}\n`;
  }
  flush();
  return out;
}
