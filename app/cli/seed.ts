import { runEntryPoint } from '../../config/load.ts';
import { loadScriptsConfig } from '../../config/scripts.ts';
import { seedDemoWorld } from '../../db/world/seed-demo.ts';
import { summarizeWorld } from '../../db/world/summary.ts';
import { indexDemoArticles } from '../../knowledge/demo-articles.ts';
import { sharedLocalEmbedder } from '../../knowledge/local-embedder.ts';
import { openConfiguredDatabase } from '../database-from-config.ts';

/** `npm run seed`: seeds the Lumen Cloud demo world (a no-op when the database already holds a world). */
await runEntryPoint(async () => {
  const config = loadScriptsConfig();
  const database = await openConfiguredDatabase(config);
  const outcome = await seedDemoWorld(database.pool);
  const knowledge = await indexDemoArticles(database.pool, sharedLocalEmbedder());
  process.stdout.write(`Help center: ${JSON.stringify(knowledge)}\n`);
  process.stdout.write(
    outcome.seeded ? 'Seeded the Lumen Cloud demo world.\n' : `Not seeded: ${outcome.reason}.\n`,
  );
  process.stdout.write(`${JSON.stringify(await summarizeWorld(database.pool))}\n`);
  await database.close();
});
