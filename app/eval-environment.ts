import path from 'node:path';
import type pg from 'pg';
import { saveProcedure } from '../agent/procedures/declarative/store.ts';
import type { SelectableKind } from '../connectors/backends/kinds.ts';
import type { ConnectorDefinition } from '../connectors/core/definition.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { clearWorld, loadWorld } from '../db/world/load-world.ts';
import type { EnvironmentOptions, ScenarioEnvironment, SystemWrites } from '../evals/environment.ts';
import { scenarioFaults, scenarioNow } from '../evals/environment.ts';
import type { Scenario } from '../evals/scenario-schema.ts';
import { readFolder } from '../knowledge/cli.ts';
import { demoArticlesFolder } from '../knowledge/demo-articles.ts';
import type { RawDocument } from '../knowledge/documents.ts';
import { createIngester, type KnowledgeIngester } from '../knowledge/ingest.ts';
import { sharedLocalEmbedder } from '../knowledge/local-embedder.ts';
import { configuredReasoner } from './configured-reasoner.ts';
import { createSwitchboard, type Switchboard } from './wiring.ts';

/** The default help-center articles (knowledge/articles), as raw documents for the ingester. */
export async function defaultArticles(): Promise<RawDocument[]> {
  return (await readFolder(demoArticlesFolder)).documents;
}

let sharedIngester: KnowledgeIngester | undefined;
/** One ingester per process: its vector cache spares re-embedding the same articles for every scenario. */
function evalIngester(): KnowledgeIngester {
  sharedIngester ??= createIngester({ embedder: sharedLocalEmbedder(), cacheSize: 5000 });
  return sharedIngester;
}

const checkpointTables = ['checkpoints', 'checkpoint_writes', 'checkpoint_blobs'];

/**
 * Systems other than our own tables for the backends of some kinds (app/vendor-eval-environment.ts):
 * after the world is in our database, `prepare` puts it into those systems and returns the backends
 * to wire and the snapshot of their state the writes are read against.
 */
export interface EvalSystems {
  prepare(
    scenario: Scenario,
    database: Database,
  ): Promise<{
    backends: Partial<Record<SelectableKind, ConnectorDefinition>>;
    snapshotWrites: () => Promise<SystemWrites>;
  }>;
  close(): Promise<void>;
}

/**
 * One isolated eval environment: its own in-memory database (embedded PGlite), reset per scenario
 * (truncate + load), a fixed clock, armed faults and a fresh connector gateway (so a breaker opened
 * in one scenario never leaks into the next).
 */
export async function createEvalEnvironment(
  options: EnvironmentOptions,
  systems?: EvalSystems,
): Promise<ScenarioEnvironment> {
  const database: Database = await openDatabase({ dataDir: 'memory://' });
  await migrateToLatest(database.pool);
  const ingester = evalIngester();
  const defaults = await defaultArticles();
  let clock = new Date();
  let current: Switchboard | null = null;
  let knowledge: 'none' | 'default' | 'scenario' = 'none';
  let systemWrites: (() => Promise<SystemWrites>) | null = null;
  const reasoner = configuredReasoner({ ...options.config, REASONER: options.reasoner });
  return {
    database: { pool: database.pool, kind: database.kind },
    async prepare(scenario, { baseline }) {
      await current?.close();
      const articles = scenario.world.articles;
      // The default help center stays indexed between scenarios that use it; a scenario with its own
      // articles replaces it (and the next default scenario re-indexes it from the ingester's cache).
      const keepKnowledge = articles.length === 0 && knowledge === 'default';
      await clearWorld(database.pool, { keepKnowledge });
      await truncateCheckpoints(database.pool);
      await loadWorld(database.pool, scenario.world, {
        source: scenario.id,
        ingestArticles: async (worldArticles, client) => {
          await ingester.ingestOn(
            client,
            worldArticles.map((article) => ({
              source: article.slug,
              content: article.body,
              format: 'markdown' as const,
              metadata: {
                slug: article.slug,
                title: article.title,
                visibility: article.visibility,
                tags: article.tags ?? [],
                ...(article.category ? { category: article.category } : {}),
              },
            })),
          );
        },
      });
      if (articles.length === 0 && !keepKnowledge) await ingester.ingest(database.pool, defaults);
      knowledge = articles.length === 0 ? 'default' : 'scenario';
      clock = scenarioNow(scenario);
      const prepared = systems ? await systems.prepare(scenario, database) : null;
      systemWrites = prepared?.snapshotWrites ?? null;
      current = await createSwitchboard({
        database,
        dataDir: path.join('.data', 'evals'),
        mode: 'embedded',
        now: () => clock,
        faults: { enabled: true },
        kbOnly: baseline === 'kb-only',
        ...(reasoner ? { reasoner } : {}),
        resilience: { retry: { retries: 2, initialDelayMs: 5, maxDelayMs: 50 } },
        ...(prepared ? { backends: prepared.backends } : {}),
      });
      for (const fault of scenarioFaults(scenario)) current.faults.arm(fault);
      await prepareProcedures(
        database.pool,
        current,
        baseline === 'kb-only' ? [] : (scenario.procedures ?? []),
      );
      return { conversations: current.conversations };
    },
    ...(systems
      ? {
          snapshotWrites: async () => {
            if (!systemWrites) throw new Error('snapshotWrites before prepare');
            return systemWrites();
          },
        }
      : {}),
    async close() {
      await current?.close();
      await systems?.close();
      await database.close();
    },
  };
}

/**
 * The scenario's declarative procedures, checked and saved as the admin API does (a procedure that
 * does not validate is a broken scenario), then loaded; the previous scenario's are dropped. The
 * kb-only baseline has no connectors for them: it runs without.
 */
async function prepareProcedures(
  pool: pg.Pool,
  switchboard: Switchboard,
  procedures: NonNullable<Scenario['procedures']>,
): Promise<void> {
  await pool.query('DELETE FROM declarative_procedures');
  for (const { id, source } of procedures) {
    const checked = await switchboard.procedures.validate(id, source);
    if (!checked.ok)
      throw new Error(
        `procedure ${id} does not validate: ${checked.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
      );
    await saveProcedure(pool, { id, title: checked.definition.title, source }, 'eval');
  }
  await switchboard.procedures.reload();
}

async function truncateCheckpoints(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ANY($1)`,
    [checkpointTables],
  );
  if (rows.length > 0) await pool.query(`TRUNCATE ${rows.map((row) => row.table_name).join(', ')}`);
}
