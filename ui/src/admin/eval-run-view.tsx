import { useEffect, useState } from 'react';
import type { EvalRunDetail, ScenarioResult } from '../../../api/contract/admin.ts';
import { formatMs, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { linkHandler } from '../shared/router.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { type EvalRow, evalRow, rateText } from './eval-runs.ts';

/** A run's scenarios: pass/fail, why, and each transcript. */
export function EvalRunView({ runId }: { runId: string }) {
  const { request } = useStaffSession();
  const [run, setRun] = useState<EvalRow | null>(null);
  const [results, setResults] = useState<ScenarioResult[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [onlyFailed, setOnlyFailed] = useState(false);

  useEffect(() => {
    request<EvalRunDetail>(`/api/admin/evals/${encodeURIComponent(runId)}`)
      .then((data) => {
        setRun(evalRow(data));
        setResults(data.results);
      })
      .catch((failure) => setError(errorMessage(failure)));
  }, [request, runId]);

  const shown = onlyFailed ? results.filter((result) => !result.passed) : results;
  return (
    <>
      <p>
        <a href="/admin/evals" onClick={linkHandler('/admin/evals')}>
          ← All runs
        </a>
      </p>
      <h1>Eval run {run ? `(${run.suite})` : ''}</h1>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {run && (
        <p>
          Correct handling {rateText(run.correctHandlingRate)} · resolution {rateText(run.resolutionRate)} ·
          harmful {rateText(run.harmfulRate)}
          {run.total !== null && ` · ${run.total} scenario runs`}
        </p>
      )}
      <label className="checkbox section">
        <input
          type="checkbox"
          checked={onlyFailed}
          onChange={(event) => setOnlyFailed(event.target.checked)}
        />
        Only failed scenarios
      </label>
      <ul className="plain-list stack">
        {shown.map((result) => (
          <li key={`${result.id}-${result.baseline}-${result.run}`} className="card">
            <details>
              <summary>
                <span className={`badge ${result.passed ? 'badge-ok' : 'badge-error'}`}>
                  {result.passed ? 'Passed' : 'Failed'}
                </span>{' '}
                <strong>{result.title}</strong>{' '}
                <span className="muted">
                  ({result.id}
                  {result.baseline !== 'none' ? `, ${result.baseline}` : ''}, run {result.run + 1})
                </span>
              </summary>
              <p>
                Expected {humanize(result.expectedOutcome).toLowerCase()}, got{' '}
                {humanize(result.actualOutcome).toLowerCase()} · {formatMs(result.durationMs)}
              </p>
              {result.failures.length > 0 && (
                <ul className="error">
                  {result.failures.map((failure) => (
                    <li key={failure}>{failure}</li>
                  ))}
                </ul>
              )}
              {result.harmful.length > 0 && <p className="error">Harmful: {result.harmful.join('; ')}</p>}
              <h3>Transcript</h3>
              <ol className="transcript">
                {result.transcript.map((entry, index) => (
                  <li
                    // biome-ignore lint/suspicious/noArrayIndexKey: a transcript is fixed and ordered
                    key={index}
                    className={
                      entry.kind === 'customer' ? 'from-customer' : entry.kind === 'human' ? 'from-human' : ''
                    }
                  >
                    <span className="who">{humanize(String(entry.kind ?? ''))}</span>
                    {describeEntry(entry)}
                  </li>
                ))}
              </ol>
            </details>
          </li>
        ))}
      </ul>
    </>
  );
}

/** One transcript line (evals/transcript.ts `TranscriptEntry`) as text. */
function describeEntry(entry: ScenarioResult['transcript'][number]): string {
  switch (entry.kind) {
    case 'customer':
    case 'agent':
      return String(entry.text ?? '');
    case 'tool':
      return `${entry.connector}.${entry.operation} → ${entry.status} (${Math.round(Number(entry.latencyMs ?? 0))} ms)${entry.errorKind ? `, ${entry.errorKind}` : ''}`;
    case 'slot-request':
    case 'confirmation-request':
      return String(entry.prompt ?? '');
    case 'verification-request':
      return `code sent to ${entry.email}`;
    case 'escalation':
      return `${entry.reason} (${entry.priority})`;
    case 'resolution':
      return String(entry.outcome ?? '');
    case 'human':
      return entry.approved ? 'approved' : 'denied';
    case 'turn-end':
      return `${entry.status} after ${Math.round(Number(entry.latencyMs ?? 0))} ms`;
    default:
      return String(entry.message ?? JSON.stringify(entry));
  }
}
