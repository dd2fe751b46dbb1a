import type pg from 'pg';
import { buildDemoWorld } from './demo-world.ts';
import { type ArticleIngester, loadWorld } from './load-world.ts';
import type { World } from './world-schema.ts';

export interface SeedDemoOptions {
  /** The demo's "today" (default: now). */
  anchor?: Date;
  seed?: number;
  /** Help-center articles to index with the world (read from knowledge/articles by the caller). */
  articles?: World['articles'];
  ingestArticles?: ArticleIngester;
}

/**
 * Seeds the Lumen Cloud demo world unless the systems already hold data: re-running never
 * duplicates anything. The world is loaded in one transaction, so a crash leaves nothing half-seeded.
 */
export async function seedDemoWorld(
  pool: pg.Pool,
  options: SeedDemoOptions = {},
): Promise<{ seeded: boolean; reason?: string }> {
  const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM accounts');
  if (Number(rows[0]!.count) > 0) return { seeded: false, reason: 'the database already holds a world' };
  const world = buildDemoWorld({ anchor: options.anchor ?? new Date(), seed: options.seed ?? 42 });
  await loadWorld(
    pool,
    { ...world, articles: options.articles ?? [] },
    {
      source: 'demo world',
      ...(options.ingestArticles ? { ingestArticles: options.ingestArticles } : {}),
    },
  );
  return { seeded: true };
}
