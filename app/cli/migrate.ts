import { runEntryPoint } from '../../config/load.ts';
import { loadScriptsConfig } from '../../config/scripts.ts';
import { openConfiguredDatabase } from '../database-from-config.ts';

/** `npm run db:migrate`: applies pending migrations to the configured database. */
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
