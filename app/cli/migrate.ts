import { parseCommandLine } from './command-line.ts';

/** `npm run db:migrate`: applies pending migrations to the configured database. */
parseCommandLine({
  command: 'npm run db:migrate',
  summary:
    'Applies the pending migrations to the configured database and prints the migration it is at.\n' +
    '(`npm start` and `npm run worker` migrate at start too; this runs them alone, e.g. before a deploy.)',
  options: {},
  examples: ['npm run db:migrate', 'DATABASE_URL=postgres://app@db:5432/switchboard npm run db:migrate'],
  notes: ['Environment: DATABASE_URL (unset: embedded PGlite under DATA_DIR, default ./.data).'],
});
// The application loads only once the command line is valid, so --help answers at once.
const [{ runEntryPoint }, { loadScriptsConfig }, { openConfiguredDatabase }] = await Promise.all([
  import('../../config/load.ts'),
  import('../../config/scripts.ts'),
  import('../database-from-config.ts'),
]);

await runEntryPoint(async () => {
  const config = loadScriptsConfig();
  const database = await openConfiguredDatabase(config);
  const { rows } = await database.pool.query<{ name: string }>(
    'SELECT name FROM kysely_migration ORDER BY name',
  );
  process.stdout.write(
    `Database (${database.kind}) is at migration ${rows.at(-1)?.name ?? 'none'} (${rows.length} applied).\n`,
  );
  await database.close();
});
