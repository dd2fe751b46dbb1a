import { parseCommandLine } from './command-line.ts';

/** `npm run seed`: seeds the Lumen Cloud demo world (a no-op when the database already holds a world). */
parseCommandLine({
  command: 'npm run seed',
  summary:
    'Seeds the Lumen Cloud demo world (accounts, contacts, invoices, tickets, calendars) into the\n' +
    'configured database, after running the migrations, and indexes the demo help center. Does nothing\n' +
    'when the database already holds a world; embeds only the articles that changed.',
  options: {},
  examples: ['npm run seed', 'DATA_DIR=/tmp/switchboard npm run seed'],
  notes: ['Environment: DATABASE_URL (unset: embedded PGlite under DATA_DIR, default ./.data).'],
});
// The application loads only once the command line is valid, so --help answers at once.
const [{ runEntryPoint }, { loadScriptsConfig }, { seedDemoWorld }, { summarizeWorld }] = await Promise.all([
  import('../../config/load.ts'),
  import('../../config/scripts.ts'),
  import('../../db/world/seed-demo.ts'),
  import('../../db/world/summary.ts'),
]);
const [{ indexDemoArticles }, { sharedLocalEmbedder }, { openConfiguredDatabase }] = await Promise.all([
  import('../../knowledge/demo-articles.ts'),
  import('../../knowledge/local-embedder.ts'),
  import('../database-from-config.ts'),
]);

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
