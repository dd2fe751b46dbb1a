import { type FormEvent, useState } from 'react';
import type { EvalCompareResponse } from '../../../api/contract/eval-compare.ts';
import { formatDateTime, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import type { EvalRow } from './eval-runs.ts';

const changeText: Record<EvalCompareResponse['changes'][number]['change'], string> = {
  broken: 'now fails',
  fixed: 'now passes',
  changed: 'other outcome',
  added: 'only in B',
  removed: 'only in A',
};

type Side = EvalCompareResponse['changes'][number]['a'];

function sideText(side: Side): string {
  if (!side) return '—';
  const verdict = side.passed ? 'pass' : side.error ? 'error' : 'fail';
  return `${verdict}, ${humanize(side.actualOutcome)}${side.harmful > 0 ? `, ${side.harmful} harmful` : ''}`;
}

/** Two finished runs side by side: the scenarios whose outcome changed from A to B. */
export function EvalCompare({ runs }: { runs: EvalRow[] }) {
  const { request } = useStaffSession();
  const finished = runs.filter((run) => run.status === 'finished');
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const [result, setResult] = useState<EvalCompareResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (finished.length < 2) return null;
  // Defaults: the two newest finished runs, older as A.
  const chosenA = a || finished.at(-2)!.id;
  const chosenB = b || finished.at(-1)!.id;
  const label = (run: EvalRow) => `${formatDateTime(run.startedAt)} — ${humanize(run.suite)}`;

  const compare = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setResult(
        await request<EvalCompareResponse>(
          `/api/admin/evals/compare?a=${encodeURIComponent(chosenA)}&b=${encodeURIComponent(chosenB)}`,
        ),
      );
    } catch (failure) {
      setResult(null);
      setError(errorMessage(failure));
    }
  };

  return (
    <section className="card section stack" aria-labelledby="compare-heading">
      <h2 id="compare-heading">Compare two runs</h2>
      <form className="filters" onSubmit={compare}>
        <label>
          Run A
          <select value={chosenA} onChange={(event) => setA(event.target.value)}>
            {finished.map((run) => (
              <option key={run.id} value={run.id}>
                {label(run)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Run B
          <select value={chosenB} onChange={(event) => setB(event.target.value)}>
            {finished.map((run) => (
              <option key={run.id} value={run.id}>
                {label(run)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Compare
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <div aria-live="polite">
          <p role="status">
            {result.changes.length === 0
              ? `No scenario changed outcome (${result.unchanged} unchanged).`
              : `${result.changes.length} scenario run(s) changed: ${result.counts.broken} now fail, ${result.counts.fixed} now pass, ${result.counts.changed} other outcome${result.counts.added + result.counts.removed > 0 ? `, ${result.counts.added + result.counts.removed} in one run only` : ''}; ${result.unchanged} unchanged.`}
          </p>
          {result.changes.length > 0 && (
            <div className="table-wrap">
              <table>
                <caption className="muted">
                  A: {formatDateTime(result.a.startedAt)} ({humanize(result.a.suite)}), B:{' '}
                  {formatDateTime(result.b.startedAt)} ({humanize(result.b.suite)})
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Scenario</th>
                    <th scope="col">Change</th>
                    <th scope="col">A</th>
                    <th scope="col">B</th>
                  </tr>
                </thead>
                <tbody>
                  {result.changes.map((change) => (
                    <tr key={`${change.baseline}/${change.id}/${change.run}`}>
                      <td>
                        {change.title}
                        <div className="muted">
                          {change.id}
                          {change.baseline !== 'none' ? ` (${change.baseline} baseline)` : ''}
                          {change.run > 0 ? `, run ${change.run + 1}` : ''}
                        </div>
                      </td>
                      <td>
                        <span className={change.change === 'broken' ? 'badge badge-error' : 'badge'}>
                          {changeText[change.change]}
                        </span>
                      </td>
                      <td>{sideText(change.a)}</td>
                      <td>{sideText(change.b)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
