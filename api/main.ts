import { loadApiConfig } from '../config/api.ts';
import { runEntryPoint } from '../config/load.ts';
import { seedDemoWorld } from '../db/world/seed-demo.ts';
import { indexDemoArticles } from '../knowledge/demo-articles.ts';
import { sharedLocalEmbedder } from '../knowledge/local-embedder.ts';
import { openConfiguredDatabase } from '../scripts/database-from-config.ts';
import { createServer } from './server.ts';

/** `npm start`: the API server on the embedded default (or PostgreSQL when DATABASE_URL is set). */
await runEntryPoint(async () => {
  const startedAt = performance.now();
  const config = loadApiConfig();
  const database = await openConfiguredDatabase(config);
  if (config.SEED_ON_FIRST_START && database.kind === 'pglite') {
    const seeding = await seedDemoWorld(database.pool);
    if (seeding.seeded) process.stdout.write('Seeded the Lumen Cloud demo world.\n');
  }
  const app = await createServer({ database, logLevel: config.LOG_LEVEL });
  const shutdown = async () => {
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  // The help center is indexed in the background: the first start embeds ~60 articles (tens of
  // seconds on two cores); later starts find every article unchanged and embed nothing.
  indexDemoArticles(database.pool, sharedLocalEmbedder())
    .then((report) => app.log.info({ knowledge: report }, 'demo help center indexed'))
    .catch((error: unknown) => app.log.error({ err: error }, 'indexing the demo help center failed'));
  process.stdout.write(
    `Switchboard listening on ${address} (${database.kind}, ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s)\n`,
  );
});
