import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  capturedSuiteName,
  deleteCapturedScenario,
  listCapturedScenarios,
  loadCapturedSuite,
  scenarioYaml,
} from '../../evals/capture/store.ts';
import { recordRunStarted } from '../../evals/eval-runs-store.ts';
import { loadSuite, SuiteLoadError } from '../../evals/load-suite.ts';
import { runProgressSchema } from '../../evals/run-progress.ts';
import { selectScenarios } from '../../evals/runner.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  type EvalMetrics,
  type EvalRunSummary,
  evalListQuerySchema,
  evalListResponseSchema,
  evalRunDetailResponseSchema,
  evalRunParamsSchema,
  type ScenarioResult,
  startEvalBodySchema,
  startEvalResponseSchema,
} from '../contract/admin.ts';
import { capturedScenarioListSchema, capturedScenarioParamsSchema } from '../contract/captured-scenarios.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, iso } from './shared.ts';

/** The folder the `eval.run` job reads suites from (jobs/eval-run-job.ts): a suite is a folder name in it. */
const suitesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'evals', 'suites');
// Past the job's timeout (30 min) an unfinished run will never finish.
const abandonedAfterMs = 35 * 60_000;

const rate = z.object({ count: z.number(), total: z.number(), rate: z.number() });
/** The stored summary (evals/metrics.ts SuiteSummary): only the fields the page shows are read. */
const storedSummary = z.looseObject({
  scenarios: z.number(),
  total: z.number(),
  correctHandling: rate,
  resolution: rate,
  harmful: rate,
  harmfulActions: z.number(),
  falseResolutions: rate,
  passHatK: rate.extend({ k: z.number() }),
  errors: z.number(),
  latencyMs: z.object({ p50: z.number(), p95: z.number() }).nullable(),
});
interface RunRow {
  id: string;
  suite: string;
  options: Record<string, unknown>;
  summary: { agent?: unknown; baseline?: unknown; thresholdFailures?: string[] } | null;
  progress: unknown;
  started_at: Date;
  finished_at: Date | null;
}

function metricsOf(value: unknown): EvalMetrics | null {
  const parsed = storedSummary.safeParse(value);
  if (!parsed.success) return null;
  const summary = parsed.data;
  return {
    scenarios: summary.scenarios,
    total: summary.total,
    resolutionRate: summary.resolution.rate,
    correctHandlingRate: summary.correctHandling.rate,
    harmfulRate: summary.harmful.rate,
    harmfulActions: summary.harmfulActions,
    falseResolutionRate: summary.falseResolutions.rate,
    passHatK: summary.passHatK.rate,
    errors: summary.errors,
    latencyP50Ms: summary.latencyMs?.p50 ?? null,
    latencyP95Ms: summary.latencyMs?.p95 ?? null,
  };
}

function summarizeRun(row: RunRow): EvalRunSummary {
  const status = row.finished_at
    ? 'finished'
    : Date.now() - new Date(row.started_at).getTime() > abandonedAfterMs
      ? 'abandoned'
      : 'running';
  return {
    id: row.id,
    suite: row.suite,
    options: row.options ?? {},
    status,
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at),
    agent: metricsOf(row.summary?.agent),
    baseline: metricsOf(row.summary?.baseline),
    thresholdFailures: row.summary?.thresholdFailures ?? [],
    progress: runProgressSchema.safeParse(row.progress).data ?? null,
  };
}

/** Eval runs: start one (a queued job), list them with their metrics, and one run's results per scenario. */
export async function registerEvalRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const columns = 'id, suite, options, summary, progress, started_at, finished_at';

  app.post(
    '/api/admin/evals',
    {
      schema: {
        ...adminSchema,
        summary: 'Start an eval run of a suite (scripted customer, local reasoner); it runs as a queued job',
        body: startEvalBodySchema,
        response: { 202: startEvalResponseSchema },
      },
    },
    async (request, reply) => {
      const { suite: name, baseline = null, filter = null } = request.body;
      let scenarios: number;
      try {
        // The captured suite lives in the database (saved from the console), the others in folders.
        const suite =
          name === capturedSuiteName
            ? await loadCapturedSuite(pool)
            : await loadSuite(path.join(suitesDir, name));
        scenarios = selectScenarios(suite, filter ?? undefined).length;
      } catch (error) {
        if (!(error instanceof SuiteLoadError)) throw error;
        const missing = error.problems.some((problem) => problem.message === 'is not a folder');
        throw new ApiError(
          'validation_failed',
          missing ? `Invalid body: /suite no suite "${name}"` : error.message,
        );
      }
      if (scenarios === 0) {
        throw new ApiError(
          'validation_failed',
          `Invalid body: /filter "${filter}" matches no scenario of ${name}`,
        );
      }
      const runId = `evr_${new Date()
        .toISOString()
        .replace(/[-:.TZ]/g, '')
        .slice(0, 14)}_${randomBytes(3).toString('hex')}`;
      await recordRunStarted(pool, {
        id: runId,
        suite: name,
        options: { baseline: baseline ?? 'none', filter, requestedBy: request.human?.id ?? null },
        startedAt: new Date(),
      });
      await context.jobs.enqueue('eval.run', { runId, suite: name, baseline, filter });
      return reply.code(202).send({ runId, scenarios: scenarios * (baseline ? 2 : 1) });
    },
  );

  app.get(
    '/api/admin/captured-scenarios',
    {
      schema: {
        ...adminSchema,
        summary: 'Scenarios saved from the console ("Save as test"): the captured suite',
        response: { 200: capturedScenarioListSchema },
      },
    },
    async () => {
      let saved: Awaited<ReturnType<typeof listCapturedScenarios>>;
      try {
        saved = await listCapturedScenarios(pool);
      } catch (error) {
        if (error instanceof SuiteLoadError) throw new ApiError('internal', error.message);
        throw error;
      }
      return {
        scenarios: saved.map((row) => ({
          id: row.id,
          name: row.name,
          conversationId: row.conversationId,
          expectedOutcome: row.expectedOutcome,
          createdBy: row.createdBy,
          createdAt: iso(row.createdAt)!,
          yaml: scenarioYaml(row.scenario),
        })),
      };
    },
  );

  app.delete(
    '/api/admin/captured-scenarios/:id',
    {
      schema: {
        ...adminSchema,
        summary: 'Delete a saved scenario from the captured suite',
        params: capturedScenarioParamsSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      if (!(await deleteCapturedScenario(pool, request.params.id)))
        throw new ApiError('not_found', `No saved scenario ${request.params.id}`);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/admin/evals',
    {
      schema: {
        ...adminSchema,
        summary: 'Eval runs, newest first, with resolution rate, correct handling, harmful actions',
        querystring: evalListQuerySchema,
        response: { 200: evalListResponseSchema },
      },
    },
    async (request) => {
      const { rows } = await pool.query<RunRow>(
        `SELECT ${columns} FROM eval_runs WHERE ($1::text IS NULL OR suite = $1)
         ORDER BY started_at DESC, id DESC LIMIT $2`,
        [request.query.suite ?? null, request.query.limit],
      );
      return { runs: rows.map(summarizeRun) };
    },
  );

  app.get(
    '/api/admin/evals/:id',
    {
      schema: {
        ...adminSchema,
        summary: "One eval run: its metrics and every scenario's verdict, checks and transcript",
        params: evalRunParamsSchema,
        response: { 200: evalRunDetailResponseSchema },
      },
    },
    async (request) => {
      const { rows } = await pool.query<RunRow & { results: Array<Record<string, unknown>> | null }>(
        `SELECT ${columns}, results FROM eval_runs WHERE id = $1`,
        [request.params.id],
      );
      const row = rows[0];
      if (!row) throw new ApiError('not_found', `No eval run ${request.params.id}`);
      return { ...summarizeRun(row), results: (row.results ?? []).map(toScenarioResult) };
    },
  );
}

/** A stored ScenarioResult (evals/run-scenario.ts) as the page shows it; older rows may lack fields. */
function toScenarioResult(result: Record<string, unknown>): ScenarioResult {
  const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  return {
    id: String(result.id ?? ''),
    title: String(result.title ?? result.id ?? ''),
    tags: strings(result.tags),
    run: Number(result.run ?? 0),
    baseline: String(result.baseline ?? 'none'),
    conversationId: typeof result.conversationId === 'string' ? result.conversationId : null,
    passed: result.passed === true,
    failures: strings(result.failures),
    checks: Array.isArray(result.checks)
      ? result.checks.map((check: { name?: unknown; passed?: unknown }) => ({
          name: String(check.name ?? ''),
          passed: check.passed === true,
        }))
      : [],
    harmful: strings(result.harmful),
    expectedOutcome: String(result.expectedOutcome ?? ''),
    actualOutcome: String(result.actualOutcome ?? ''),
    falseResolution: result.falseResolution === true,
    durationMs: Number(result.durationMs ?? 0),
    turnLatenciesMs: Array.isArray(result.turnLatenciesMs) ? result.turnLatenciesMs.map(Number) : [],
    transcript: Array.isArray(result.transcript) ? (result.transcript as Array<Record<string, unknown>>) : [],
    error: typeof result.error === 'string' ? result.error : null,
  };
}
