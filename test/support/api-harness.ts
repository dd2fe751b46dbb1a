import path from 'node:path';
import type { ApiApp, ApiSettings } from '../../api/context.ts';
import { createServer } from '../../api/server.ts';
import { defaultArticles } from '../../app/eval-environment.ts';
import { type ApiRuntime, createApiRuntime } from '../../app/runtime.ts';
import type { SwitchboardOptions } from '../../app/wiring.ts';
import { parseMasterKeys } from '../../connectors/core/master-key.ts';
import type { Database } from '../../db/database.ts';
import { seedDemoWorld } from '../../db/world/seed-demo.ts';
import { createIngester } from '../../knowledge/ingest.ts';
import { sharedLocalEmbedder } from '../../knowledge/local-embedder.ts';
import { testArticles } from './agent-harness.ts';
import { createTestDatabase } from './database.ts';

/** A fixed, public master key: tests only. */
const testMasterKey = 'test:W7QM5WDe06FG8fxWtmaj6vmq1ABctRNHHxQmyl1N1NE=';
export const testIdentitySecret = 'test-identity-secret-0123456789abcdef';

export interface TestApi {
  app: ApiApp;
  runtime: ApiRuntime;
  context: ApiRuntime['context'];
  database: Database;
  /** Stops the server, the runtime and drops the database. */
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** Load the demo world (and a few help-center articles). Default true. */
  seed?: boolean;
  settings?: Partial<ApiSettings>;
  redis?: { url: string; prefix: string };
  runWorkers?: boolean;
  switchboard?: Partial<SwitchboardOptions>;
  /** Reuse a database (e.g. two API instances on one database). */
  database?: Database;
  /** How received mail is authenticated (a stub DNS resolver). */
  inboundMail?: Parameters<typeof createApiRuntime>[0]['inboundMail'];
  /** Where customers reach the deployment: emailed replies then carry a rating link. */
  publicBaseUrl?: string;
  /** External knowledge sources (the Zendesk Guide source pointed at a fake). */
  knowledgeSources?: Parameters<typeof createApiRuntime>[0]['knowledgeSources'];
  /** Configured stdio MCP servers and private-host allow-list of MCP connectors. */
  mcpClient?: Parameters<typeof createApiRuntime>[0]['mcpClient'];
  /** `*_BACKEND` choices and vendor settings as the environment would give them (Google's fakes). */
  backendEnvironment?: Parameters<typeof createApiRuntime>[0]['backendEnvironment'];
  /** Gmail as the email channel and sender (a fake Gmail's connection). */
  gmail?: Parameters<typeof createApiRuntime>[0]['gmail'];
}

const ingester = createIngester({ embedder: sharedLocalEmbedder(), cacheSize: 2000 });

/**
 * A real API server (not listening; use `app.inject`, or `app.listen({ port: 0 })` for a browser or
 * SSE client) on a test database, with the in-process job runner and event bus — or BullMQ and Redis.
 */
export async function createTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const database = options.database ?? (await createTestDatabase());
  if (options.seed !== false && !options.database) {
    await seedDemoWorld(database.pool);
    const articles = await defaultArticles();
    await ingester.ingest(
      database.pool,
      articles.filter((article) => testArticles.includes(path.basename(article.source, '.md'))),
    );
  }
  const runtime = await createApiRuntime({
    database,
    dataDir: '.data/test',
    mode: 'embedded',
    identity: { secret: testIdentitySecret, demoSigning: true },
    masterKeys: parseMasterKeys(testMasterKey, 'test key'),
    settings: { turnStreamTimeoutMs: 20_000, ...options.settings },
    ...(options.inboundMail ? { inboundMail: options.inboundMail } : {}),
    ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
    ...(options.knowledgeSources ? { knowledgeSources: options.knowledgeSources } : {}),
    ...(options.mcpClient ? { mcpClient: options.mcpClient } : {}),
    ...(options.backendEnvironment ? { backendEnvironment: options.backendEnvironment } : {}),
    ...(options.gmail ? { gmail: options.gmail } : {}),
    ...(options.redis ? { redis: options.redis, runWorkers: options.runWorkers ?? true } : {}),
    switchboard: {
      resilience: { retry: { retries: 1, initialDelayMs: 1, maxDelayMs: 5 } },
      ...options.switchboard,
    },
  });
  const app = await createServer(runtime.context, { logger: false });
  await app.ready();
  return {
    app,
    runtime,
    context: runtime.context,
    database,
    async close() {
      await app.close();
      await runtime.close();
      if (!options.database) await database.close();
    },
  };
}
