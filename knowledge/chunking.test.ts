import { describe, expect, it } from 'vitest';
import { chunkKey, embeddingUnits, meanVector } from './chunk-vectors.ts';
import { chunkArticle, countWords, plainText, splitSentences } from './chunking.ts';

const sentence = (topic: string, index: number) =>
  `The ${topic} rule number ${index} says what happens to the account next.`;
const paragraph = (topic: string, count: number) =>
  Array.from({ length: count }, (_, i) => sentence(topic, i)).join(' ');

describe('splitSentences', () => {
  it('splits at sentence ends but keeps abbreviations and decimals together', () => {
    expect(splitSentences('Use SSO, e.g. Okta. It costs $4.50 a seat! Really? Yes.')).toEqual([
      'Use SSO, e.g. Okta.',
      'It costs $4.50 a seat!',
      'Really?',
      'Yes.',
    ]);
  });
});

describe('chunkArticle', () => {
  it('keeps the heading path of each passage, starting with the title', () => {
    const markdown = `Intro text about billing.\n\n## Refunds\n\n${paragraph('refund', 14)}\n\n### Windows\n\n${paragraph('window', 14)}\n\n## Invoices\n\n${paragraph('invoice', 14)}`;
    const chunks = chunkArticle('Billing guide', markdown);
    const paths = chunks.map((chunk) => chunk.heading);
    expect(paths).toContain('Billing guide > Refunds > Windows');
    expect(paths).toContain('Billing guide > Invoices');
    expect(chunks.every((chunk) => chunk.headingPath[0] === 'Billing guide')).toBe(true);
    expect(chunks.map((chunk) => chunk.ordinal)).toEqual(chunks.map((_, index) => index));
  });

  it('cuts a long section into passages of at most maxWords words, at sentence boundaries, with overlap', () => {
    const chunks = chunkArticle('Long', `## Section\n\n${paragraph('long', 60)}`);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(chunk.words).toBeLessThanOrEqual(250);
      expect(chunk.content.trim().endsWith('.')).toBe(true);
      expect(chunk.content.trim()[0]).toMatch(/[A-Z]/);
    }
    // The last sentence of a passage opens the next one.
    const lastSentence = splitSentences(chunks[0]!.content).at(-1)!;
    expect(chunks[1]!.content.startsWith(lastSentence)).toBe(true);
    expect(chunks.slice(0, -1).every((chunk) => chunk.words >= 120)).toBe(true);
  });

  it('merges short consecutive sections into one passage and keeps their headings in the text', () => {
    const chunks = chunkArticle(
      'FAQ',
      '## One\n\nShort answer one.\n\n## Two\n\nShort answer two.\n\n## Three\n\nShort answer three.',
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.content).toContain('Two');
    expect(chunks[0]!.content).toContain('Short answer three.');
  });

  it('repeats the header row when a table is split across passages', () => {
    const rows = Array.from(
      { length: 80 },
      (_, i) => `| plan ${i} | limit of ${i} events per second for this plan |`,
    ).join('\n');
    const chunks = chunkArticle('Limits', `## Table\n\n| Plan | Limit |\n|---|---|\n${rows}`);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.content.startsWith('| Plan | Limit |\n|---|---|')).toBe(true);
  });

  it('counts words without markup and strips Markdown for embedding', () => {
    expect(countWords('| a | **b** |')).toBe(2);
    expect(plainText('**Bold** [link](https://x.y) `code`')).toBe('Bold link code');
  });
});

describe('chunk keys', () => {
  it('are equal for equal text and strategy, and differ otherwise', () => {
    const [chunk] = chunkArticle('Title', 'Some text here.');
    const [same] = chunkArticle('Title', 'Some text here.');
    const [other] = chunkArticle('Title', 'Some other text.');
    expect(chunkKey(chunk!, 'whole')).toBe(chunkKey(same!, 'whole'));
    expect(chunkKey(chunk!, 'whole')).not.toBe(chunkKey(other!, 'whole'));
    expect(chunkKey(chunk!, 'whole')).not.toBe(chunkKey(chunk!, 'sentence-mean'));
    expect(chunkKey(chunk!, 'whole')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('embed each sentence with the title for the sentence-mean strategy', () => {
    const [chunk] = chunkArticle('Refunds', 'Refunds take ten days. They go to the original card.');
    expect(embeddingUnits(chunk!, 'sentence-mean')).toEqual([
      'Refunds: Refunds take ten days.',
      'Refunds: They go to the original card.',
    ]);
    expect(embeddingUnits(chunk!, 'whole')).toEqual([chunk!.embeddingText]);
    const mean = meanVector([
      [1, 0],
      [0, 1],
    ]);
    expect(Math.hypot(...mean)).toBeCloseTo(1);
  });
});
