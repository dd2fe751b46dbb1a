import { englishStopwords as stopwords } from '../connectors/core/english-stopwords.ts';

/** Words of the indexed text a query is checked against (for typo tolerance and term statistics). */
export interface Vocabulary {
  /** Surface word (lower case) → number of chunks that contain it. */
  words: Map<string, number>;
  /** Surface word → its English stems (what `to_tsvector('english', word)` yields; empty for stopwords). */
  stems: Map<string, string[]>;
  /** Stem → number of chunks that contain it. */
  stemFrequency: Map<string, number>;
  chunkCount: number;
  /**
   * Common English words (whole words of the sentence encoder's vocabulary): never "corrected",
   * so "stock" does not become "stuck" just because the help center says "stuck".
   */
  commonWords?: ReadonlySet<string>;
}

/** A query prepared for retrieval. */
export interface PreparedQuery {
  /** Cleaned text (what gets embedded). */
  text: string;
  /** Content words after typo correction (stopwords removed). */
  terms: string[];
  /** `to_tsquery('english', …)` input: the terms OR-ed, or null when nothing is left. Ranks candidates. */
  tsquery: string | null;
  /** The selective terms OR-ed: selects the candidates `tsquery` then ranks (see `selective`). */
  filterTsquery: string | null;
  /** English stems of the terms that occur in the index, with their inverse document frequency. */
  stems: Map<string, number>;
  /** IDF weight of the unknown terms (as if each occurred once): they count against coverage. */
  unknownWeight: number;
  corrections: Array<{ from: string; to: string }>;
  /** Content words that are neither in the index nor a typo of an indexed word. */
  unknownTerms: string[];
}

const maxQueryLength = 1000;

/** Collapses whitespace, drops control characters and caps the length of a query. */
export function normalizeQuery(text: string): string {
  return (
    text
      .normalize('NFKC')
      .replace(/[\u2018\u2019]/g, "'")
      .replace(/[\u201c\u201d]/g, '"')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters from user input is the point.
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, maxQueryLength)
  );
}

/** Lower-case word tokens of a text (letters and digits; apostrophes kept inside words). */
export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu) ?? []).map((word) =>
    word.replace(/'s$/, ''),
  );
}

/**
 * Prepares a query: tokens, stopwords out, misspelt words mapped to the closest indexed word
 * (edit distance 1, or 2 for words of 8+ letters; the most frequent wins), OR-ed tsquery.
 */
export function prepareQuery(text: string, vocabulary: Vocabulary | null): PreparedQuery {
  const clean = normalizeQuery(text);
  const corrections: PreparedQuery['corrections'] = [];
  const unknownTerms: string[] = [];
  const terms: string[] = [];
  for (const word of new Set(tokenize(clean))) {
    if (stopwords.has(word) || (word.length < 2 && !/\d/.test(word))) continue;
    // Known as written, or through its stem ("bills" where the articles say "billing").
    const stemKnown = (vocabulary?.stems.get(word) ?? []).some(
      (stem) => (vocabulary!.stemFrequency.get(stem) ?? 0) > 0,
    );
    if (!vocabulary || vocabulary.words.has(word) || stemKnown) {
      terms.push(word);
      continue;
    }
    const correction = closestWord(word, vocabulary);
    if (correction) {
      corrections.push({ from: word, to: correction });
      terms.push(correction);
    } else {
      // A number is a value (an amount, an error code), not a topic the index should know.
      if (!/^\d+$/.test(word)) unknownTerms.push(word);
      terms.push(word);
    }
  }
  const stems = new Map<string, number>();
  if (vocabulary) {
    for (const term of terms) {
      for (const stem of vocabulary.stems.get(term) ?? []) {
        const frequency = vocabulary.stemFrequency.get(stem) ?? 0;
        if (frequency > 0) stems.set(stem, Math.log(1 + vocabulary.chunkCount / frequency));
      }
    }
  }
  const unknownWeight = vocabulary ? unknownTerms.length * Math.log(1 + vocabulary.chunkCount) : 0;
  const safe = (list: string[]) => list.map((term) => term.replace(/'/g, '')).filter(Boolean);
  const safeTerms = safe(terms);
  const filterTerms = safe(selective(terms, vocabulary));
  const correctedText = corrections.reduce(
    (current, { from, to }) => current.replace(new RegExp(`\\b${escapeRegExp(from)}\\b`, 'gi'), to),
    clean,
  );
  return {
    text: correctedText,
    terms,
    tsquery: safeTerms.length > 0 ? safeTerms.join(' | ') : null,
    filterTsquery: filterTerms.length > 0 ? filterTerms.join(' | ') : null,
    stems,
    unknownWeight,
    corrections,
    unknownTerms,
  };
}

/** Chunks (summed over terms) the candidate filter may reach: bounds ranking work as the index grows. */
export const candidatePostingBudget = 600;

/**
 * The terms that select full-text candidates, rarest first, while their chunk counts add up to
 * at most `candidatePostingBudget`; when the rarest alone is over it, the two rarest together.
 * Ranking every chunk that holds one common word took 60–200 ms at 10,000 chunks; the other
 * terms still rank the candidates and count in coverage. Small indexes never reach the budget.
 */
function selective(terms: string[], vocabulary: Vocabulary | null): string[] {
  if (!vocabulary || vocabulary.chunkCount === 0) return terms;
  // By stem: "bills" is rare as written, but matches every chunk with "billing".
  const frequency = (term: string) =>
    Math.max(
      vocabulary.words.get(term) ?? 0,
      ...(vocabulary.stems.get(term) ?? []).map((stem) => vocabulary.stemFrequency.get(stem) ?? 0),
    );
  const sorted = [...terms].sort((a, b) => frequency(a) - frequency(b));
  const kept: string[] = [];
  let postings = 0;
  for (const term of sorted) {
    const next = postings + frequency(term);
    if (kept.length > 0 && next > candidatePostingBudget) break;
    kept.push(term);
    postings = next;
  }
  // Even the rarest term is common: require it together with the next rarest instead.
  if (postings > candidatePostingBudget && sorted.length > 1) return [`${sorted[0]} & ${sorted[1]}`];
  return kept;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const inflection = /^(s|es|ed|d|ing|er|ers|ly)$/;

/** Only an edit in the stem is a typo: a different ending is an inflection the stemmer handles. */
function isInflection(word: string, candidate: string): boolean {
  let prefix = 0;
  while (prefix < Math.min(word.length, candidate.length) && word[prefix] === candidate[prefix]) prefix++;
  const tails = [word.slice(prefix), candidate.slice(prefix)];
  return prefix >= 3 && tails.every((tail) => tail === '' || inflection.test(tail) || tail === 'e');
}

function closestWord(word: string, vocabulary: Vocabulary): string | null {
  if (word.length < 4 || /\d/.test(word) || vocabulary.commonWords?.has(word)) return null;
  const maxDistance = word.length >= 8 ? 2 : 1;
  let best: { word: string; distance: number; frequency: number } | null = null;
  for (const [candidate, frequency] of vocabulary.words) {
    // Typos rarely hit the first letter; requiring it keeps "iphone" from becoming "phone".
    if (
      candidate[0] !== word[0] ||
      Math.abs(candidate.length - word.length) > maxDistance ||
      candidate.length < 3 ||
      /\d/.test(candidate)
    )
      continue;
    if (isInflection(word, candidate)) continue;
    const distance = editDistance(word, candidate, maxDistance);
    if (distance > maxDistance) continue;
    if (!best || distance < best.distance || (distance === best.distance && frequency > best.frequency)) {
      best = { word: candidate, distance, frequency };
    }
  }
  return best?.word ?? null;
}

/** Damerau–Levenshtein (optimal string alignment) distance, giving up early above `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const matrix: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: columns }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    let rowMinimum = Number.POSITIVE_INFINITY;
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(matrix[i - 1]![j]! + 1, matrix[i]![j - 1]! + 1, matrix[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, matrix[i - 2]![j - 2]! + 1);
      matrix[i]![j] = value;
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (rowMinimum > limit) return limit + 1;
  }
  return matrix[a.length]![b.length]!;
}
