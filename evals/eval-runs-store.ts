import type { Queryable } from '../db/database.ts';
import type { EvalRunReport } from './report.ts';
import type { RunProgress } from './run-progress.ts';

/** Records that a run started (so the UI can show it running). */
export async function recordRunStarted(
  db: Queryable,
  run: { id: string; suite: string; options: object; startedAt: Date },
): Promise<void> {
  await db.query('INSERT INTO eval_runs (id, suite, options, started_at) VALUES ($1, $2, $3, $4)', [
    run.id,
    run.suite,
    JSON.stringify(run.options),
    run.startedAt,
  ]);
}

/**
 * Stores a finished run: the summaries in `summary` (agent, baseline, thresholds missed) and the
 * per-scenario results in `results`, for the UI's run list and charts.
 */
export async function recordRunFinished(db: Queryable, report: EvalRunReport): Promise<void> {
  const summary = {
    agent: report.summary,
    baseline: report.baselineSummary,
    thresholdFailures: report.thresholdFailures,
  };
  const { rowCount } = await db.query(
    'UPDATE eval_runs SET summary = $2, results = $3, finished_at = $4 WHERE id = $1',
    [report.id, JSON.stringify(summary), JSON.stringify(report.results), report.finishedAt],
  );
  if (rowCount === 0) {
    await db.query(
      `INSERT INTO eval_runs (id, suite, options, summary, results, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        report.id,
        report.suite,
        JSON.stringify(report.options),
        JSON.stringify(summary),
        JSON.stringify(report.results),
        report.startedAt,
        report.finishedAt,
      ],
    );
  }
}

/** Records how far a running suite is (the admin page polls it); a finished run is left alone. */
export async function recordRunProgress(db: Queryable, id: string, progress: RunProgress): Promise<void> {
  await db.query('UPDATE eval_runs SET progress = $2 WHERE id = $1 AND finished_at IS NULL', [
    id,
    JSON.stringify(progress),
  ]);
}
