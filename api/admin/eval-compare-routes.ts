import { type ComparableResult, compareRuns } from '../../evals/compare-runs.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import { evalCompareQuerySchema, evalCompareResponseSchema } from '../contract/eval-compare.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, iso } from './shared.ts';

/** Two finished eval runs side by side: the scenarios whose outcome changed (evals/compare-runs.ts). */
export async function registerEvalCompareRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;

  app.get(
    '/api/admin/evals/compare',
    {
      schema: {
        ...adminSchema,
        summary: 'Compare two eval runs: the scenarios whose outcome changed from run a to run b',
        querystring: evalCompareQuerySchema,
        response: { 200: evalCompareResponseSchema },
      },
    },
    async (request) => {
      const { a, b } = request.query;
      const { rows } = await pool.query<{
        id: string;
        suite: string;
        started_at: Date;
        finished_at: Date | null;
        results: unknown;
      }>('SELECT id, suite, started_at, finished_at, results FROM eval_runs WHERE id = ANY($1)', [[a, b]]);
      const run = (id: string, field: 'a' | 'b') => {
        const row = rows.find((candidate) => candidate.id === id);
        if (!row)
          throw new ApiError('validation_failed', `Invalid querystring: /${field} no eval run "${id}"`);
        if (!row.finished_at || !Array.isArray(row.results)) {
          throw new ApiError(
            'validation_failed',
            `Invalid querystring: /${field} eval run "${id}" has not finished`,
          );
        }
        return { row, results: (row.results as Array<Record<string, unknown>>).map(comparable) };
      };
      const first = run(a, 'a');
      const second = run(b, 'b');
      const summary = (row: (typeof rows)[number]) => ({
        id: row.id,
        suite: row.suite,
        startedAt: iso(row.started_at)!,
      });
      return {
        a: summary(first.row),
        b: summary(second.row),
        ...compareRuns(first.results, second.results),
      };
    },
  );
}

/** A stored ScenarioResult (evals/run-scenario.ts) as the comparison reads it; older rows may lack fields. */
function comparable(result: Record<string, unknown>): ComparableResult {
  return {
    id: String(result.id ?? ''),
    title: String(result.title ?? result.id ?? ''),
    baseline: String(result.baseline ?? 'none'),
    run: Number(result.run ?? 0),
    passed: result.passed === true,
    actualOutcome: String(result.actualOutcome ?? ''),
    harmful: Array.isArray(result.harmful) ? result.harmful.map(String) : [],
    error: typeof result.error === 'string' ? result.error : null,
  };
}
