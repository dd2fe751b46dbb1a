import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { EvalListResponse, StartEvalBody } from '../../../api/contract/admin.ts';
import { formatDateTime, formatMs, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { linkHandler } from '../shared/router.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { CapturedScenarios } from './captured-scenarios.tsx';
import { RateChart } from './charts.tsx';
import { EvalCompare } from './eval-compare.tsx';
import { EvalRunView } from './eval-run-view.tsx';
import { type EvalRow, evalRow, rateText } from './eval-runs.ts';

/** Eval runs: start one, the trend of resolution and correct handling, and each run's scenarios. */
export function EvalsPage({ runId }: { runId: string | null }) {
  const { request } = useStaffSession();
  const [runs, setRuns] = useState<EvalRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [suite, setSuite] = useState('smoke');
  const [startMessage, setStartMessage] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const list = (await request<EvalListResponse>('/api/admin/evals')).runs.map(evalRow);
      list.sort((a, b) => Date.parse(a.startedAt ?? '') - Date.parse(b.startedAt ?? ''));
      setRuns(list);
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [request]);
  // A started run finishes on a worker: keep the list current while the page is open, every 2 s while
  // a run is going (its progress), else every 15 s.
  const running = runs.some((run) => run.status === 'running');
  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), running ? 2_000 : 15_000);
    return () => window.clearInterval(timer);
  }, [load, running]);

  if (runId) return <EvalRunView runId={runId} />;

  const start = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await request('/api/admin/evals', { method: 'POST', body: { suite } satisfies StartEvalBody });
      setStartMessage(`Started the ${suite} suite. It appears below and finishes on a worker.`);
      void load();
    } catch (failure) {
      setStartMessage(`Could not start: ${errorMessage(failure)}`);
    }
  };

  const finished = runs.filter((run) => run.status === 'finished' && run.correctHandlingRate !== null);
  return (
    <>
      <h1>Eval runs</h1>
      <form className="filters" onSubmit={start}>
        <label>
          Suite
          <select value={suite} onChange={(event) => setSuite(event.target.value)}>
            <option value="smoke">smoke</option>
            <option value="core">core</option>
            <option value="captured">captured (saved from the console)</option>
          </select>
        </label>
        <button type="submit" className="primary">
          Start a run
        </button>
        {startMessage && (
          <p role="status" className="muted">
            {startMessage}
          </p>
        )}
      </form>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <CapturedScenarios version={runs.length} />
      {finished.length > 0 && (
        <section className="card section" aria-labelledby="trend-heading">
          <h2 id="trend-heading">Over runs</h2>
          <RateChart
            title={`Correct handling, resolution rate and harmful rate over ${finished.length} runs`}
            labels={finished.map((run) => run.startedAt ?? run.id)}
            series={[
              {
                name: 'Correct handling',
                colour: '#1d4ed8',
                values: finished.map((run) => run.correctHandlingRate),
              },
              {
                name: 'Resolution rate',
                colour: '#166534',
                values: finished.map((run) => run.resolutionRate),
              },
              {
                name: 'Harmful',
                colour: '#b91c1c',
                values: finished.map((run) => run.harmfulRate),
              },
              ...(finished.some((run) => run.baselineResolutionRate !== null)
                ? [
                    {
                      name: 'Resolution rate, kb-only baseline',
                      colour: '#4b5563',
                      values: finished.map((run) => run.baselineResolutionRate),
                    },
                  ]
                : []),
            ]}
          />
        </section>
      )}
      <EvalCompare runs={runs} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Suite</th>
              <th scope="col">Correct handling</th>
              <th scope="col">Resolution</th>
              <th scope="col">Harmful</th>
              <th scope="col">p95 turn</th>
            </tr>
          </thead>
          <tbody>
            {[...runs].reverse().map((run) => {
              const href = `/admin/evals/${encodeURIComponent(run.id)}`;
              return (
                <tr key={run.id}>
                  <td>
                    <a href={href} onClick={linkHandler(href)}>
                      {formatDateTime(run.startedAt)}
                    </a>
                    {run.status !== 'finished' && <span className="badge"> {run.status}</span>}
                    {run.status === 'running' && run.progress && (
                      <div className="eval-progress">
                        <progress
                          max={Math.max(run.progress.total, 1)}
                          value={run.progress.done}
                          aria-label={`Progress of the ${run.suite} run`}
                        />
                        <span role="status" className="muted">
                          {run.progress.done} of {run.progress.total} done: {run.progress.passed} passed,{' '}
                          {run.progress.failed} failed
                        </span>
                      </div>
                    )}
                    {run.thresholdFailures.length > 0 && (
                      <span className="badge badge-error"> below threshold</span>
                    )}
                  </td>
                  <td>{humanize(run.suite)}</td>
                  <td>{rateText(run.correctHandlingRate)}</td>
                  <td>{rateText(run.resolutionRate)}</td>
                  <td>{rateText(run.harmfulRate)}</td>
                  <td>{formatMs(run.latencyP95Ms)}</td>
                </tr>
              );
            })}
            {runs.length === 0 && !error && (
              <tr>
                <td colSpan={6} className="muted">
                  No runs yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
