import { runEntryPoint } from '../config/load.ts';
import { loadScriptsConfig } from '../config/scripts.ts';
import { seedDemoWorld } from '../db/world/seed-demo.ts';
import { summarizeWorld } from '../db/world/summary.ts';
import { openConfiguredDatabase } from './database-from-config.ts';
import { loadDemoArticles } from './demo-articles.ts';

/** `npm run seed`: seeds the Lumen Cloud demo world (a no-op when the database already holds a world). */
await runEntryPoint(async () => {
  const config = loadScriptsConfig();
  const database = await openConfiguredDatabase(config);
  const outcome = await seedDemoWorld(database.pool, await loadDemoArticles());
  process.stdout.write(
    outcome.seeded ? 'Seeded the Lumen Cloud demo world.\n' : `Not seeded: ${outcome.reason}.\n`,
  );
  process.stdout.write(`${JSON.stringify(await summarizeWorld(database.pool))}\n`);
  await database.close();
});
