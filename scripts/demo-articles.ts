import type { SeedDemoOptions } from '../db/world/seed-demo.ts';

/**
 * The demo world's help-center articles and how to index them. Until the knowledge module is wired,
 * the demo world is seeded without articles.
 */
export async function loadDemoArticles(): Promise<Pick<SeedDemoOptions, 'articles' | 'ingestArticles'>> {
  return {};
}
