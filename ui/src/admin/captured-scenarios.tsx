import { useCallback, useEffect, useState } from 'react';
import type { CapturedScenarioList, SavedScenario } from '../../../api/contract/captured-scenarios.ts';
import { formatDateTime, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

/**
 * The captured suite: conversations saved from the console with "Save as test" (docs/evals.md,
 * "Captured scenarios"). Each can be read as the scenario file it is and deleted; the suite runs from
 * the form above like the file suites. `version` changes when the parent wants a reload.
 */
export function CapturedScenarios({ version }: { version: number }) {
  const { request } = useStaffSession();
  const [scenarios, setScenarios] = useState<SavedScenario[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setScenarios((await request<CapturedScenarioList>('/api/admin/captured-scenarios')).scenarios);
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [request]);
  useEffect(() => {
    void version;
    void load();
  }, [load, version]);

  const remove = async (scenario: SavedScenario) => {
    if (!window.confirm(`Delete the saved test "${scenario.name}"?`)) return;
    try {
      await request(`/api/admin/captured-scenarios/${encodeURIComponent(scenario.id)}`, { method: 'DELETE' });
      setNotice(`Deleted "${scenario.name}".`);
      void load();
    } catch (failure) {
      setNotice(`Could not delete: ${errorMessage(failure)}`);
    }
  };

  return (
    <section className="card section" aria-labelledby="captured-heading">
      <h2 id="captured-heading">Captured suite</h2>
      <p className="muted">
        Conversations saved from the console with “Save as test”. Run them with the suite “captured” above:
        each result shows whether today’s assistant still handles the case.
      </p>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <p role="status" className="muted">
        {notice}
      </p>
      {scenarios && scenarios.length === 0 && <p className="muted">No saved tests yet.</p>}
      {scenarios && scenarios.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Expected</th>
                <th scope="col">Saved</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {scenarios.map((scenario) => (
                <tr key={scenario.id}>
                  <td>
                    <details>
                      <summary>
                        {scenario.name} <span className="muted">({scenario.id})</span>
                      </summary>
                      <pre style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{scenario.yaml}</pre>
                    </details>
                  </td>
                  <td>{humanize(scenario.expectedOutcome)}</td>
                  <td>{formatDateTime(scenario.createdAt)}</td>
                  <td>
                    <button type="button" className="danger" onClick={() => void remove(scenario)}>
                      Delete<span className="sr-only"> {scenario.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
