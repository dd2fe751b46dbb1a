import type { ArticleIngester } from '../db/world/load-world.ts';
import { createIngester, type IngesterOptions } from './ingest.ts';

/**
 * The world loader's `ingestArticles`: chunks, embeds and writes a world's articles on the
 * loader's client, inside its transaction (embedding never touches the database, so holding
 * PGlite's single connection meanwhile is safe). A bad article fails the whole world load.
 */
export function createWorldArticleIngester(options: IngesterOptions): ArticleIngester {
  // Eval scenarios reload the same articles into emptied worlds: keep their vectors in memory.
  const ingester = createIngester({ cacheSize: 5000, ...options });
  return async (articles, client) => {
    await ingester.ingestOn(
      client,
      articles.map((article) => ({
        source: `world.articles[${article.slug}]`,
        content: article.body,
        format: 'markdown' as const,
        metadata: {
          slug: article.slug,
          title: article.title,
          visibility: article.visibility,
          ...(article.tags ? { tags: article.tags } : {}),
          ...(article.category ? { category: article.category } : {}),
        },
      })),
    );
  };
}
