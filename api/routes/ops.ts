import type { preHandlerAsyncHookHandler } from 'fastify';
import { migrationsAreCurrent } from '../../db/migrate.ts';
import { summarizeWorld } from '../../db/world/summary.ts';
import { requireHuman, tokensMatch } from '../auth/human-auth.ts';
import type { RouteGroup } from '../context.ts';
import { ApiError } from '../errors.ts';

/** Liveness, readiness (database, migrations, job queue), Prometheus metrics, and the demo world's size. */
export const opsRoutes: RouteGroup = async (app, context) => {
  const { pool } = context.database;
  const requireAdmin = requireHuman(context, 'admin');
  /** The scraper's bearer token when one is configured; otherwise (and besides) a signed-in admin. */
  const requireMetricsReader: preHandlerAsyncHookHandler = async function requireMetricsReader(
    request,
    reply,
  ) {
    const { metricsToken } = context.settings;
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (metricsToken && bearer !== undefined) {
      if (tokensMatch(bearer, metricsToken)) return;
      throw new ApiError('unauthorized', 'Wrong metrics token');
    }
    await requireAdmin.call(this, request, reply);
  };

  // Probes and scrapes arrive every few seconds: their requests are logged only when something is
  // wrong (Fastify logs a route's requests at its `logLevel`), so the log keeps what matters.
  app.get(
    '/healthz',
    { logLevel: 'warn', schema: { tags: ['ops'], summary: 'The process is up' } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      schema: { tags: ['ops'], summary: 'Ready to serve: database, migrations, job queue' },
    },
    async (request, reply) => {
      const checks: Record<string, string> = {};
      try {
        await pool.query('SELECT 1');
        checks.database = 'ok';
        checks.migrations = (await migrationsAreCurrent(pool))
          ? 'ok'
          : 'pending migrations: run npm run db:migrate';
      } catch (error) {
        checks.database = `unreachable: ${(error as Error).message}`;
      }
      try {
        await context.jobs.counts();
        checks.jobs = 'ok';
      } catch (error) {
        checks.jobs = `unreachable: ${(error as Error).message}`;
      }
      const ready = Object.values(checks).every((value) => value === 'ok');
      if (!ready) request.log.warn({ checks }, 'not ready');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );

  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      preHandler: requireMetricsReader,
      schema: {
        tags: ['ops'],
        summary: 'Prometheus metrics (connector calls, circuits, process)',
        description: 'Bearer METRICS_TOKEN (a scraper), or a signed-in admin.',
      },
    },
    async (_request, reply) => {
      const registry = context.switchboard.registry;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );

  app.get(
    '/api/world/summary',
    {
      preHandler: requireAdmin,
      schema: { tags: ['ops'], summary: 'Row counts of the business systems (admins only)' },
    },
    async () => ({
      database: context.database.kind,
      systems: await summarizeWorld(pool),
    }),
  );
};
