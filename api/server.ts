import Fastify, { type FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import { migrationsAreCurrent } from '../db/migrate.ts';
import { summarizeWorld } from '../db/world/summary.ts';

/** What the HTTP server needs; `api/main.ts` builds it from the configuration. */
export interface ServerDependencies {
  database: Database;
  logLevel?: string;
}

/** Builds the Fastify app (not listening): ops routes and the API. */
export async function createServer(dependencies: ServerDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: dependencies.logLevel ?? 'info',
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    bodyLimit: 256 * 1024,
  });
  const { pool } = dependencies.database;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, 'ok' | string> = {};
    try {
      await pool.query('SELECT 1');
      checks.database = 'ok';
      checks.migrations = (await migrationsAreCurrent(pool))
        ? 'ok'
        : 'pending migrations: run npm run db:migrate';
    } catch (error) {
      checks.database = `unreachable: ${(error as Error).message}`;
    }
    const ready = Object.values(checks).every((value) => value === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/api/world/summary', async () => ({
    database: dependencies.database.kind,
    systems: await summarizeWorld(pool),
  }));

  return app;
}
