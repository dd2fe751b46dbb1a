import { useCallback, useEffect, useState } from 'react';
import type { CustomConnectorView } from '../../../api/contract/custom-connectors.ts';
import type { HttpImportResponse } from '../../../api/contract/http-connectors.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

/** One operation of an imported draft, as the page edits it (the server validates the whole declaration). */
type DraftOperation = Record<string, unknown> & {
  name: string;
  method: string;
  path: string;
  effect: 'read' | 'write';
  parameters?: Array<{ name: string; in: string }>;
  customer?: { parameter: string; from: string };
  outputFields?: string[];
  idempotency?: { key: string; header: string };
  needsApproval?: boolean;
};

/** Vault fields of each auth scheme (docs/custom-connectors.md). */
const secretFields: Record<string, string[]> = {
  none: [],
  api_key: ['api_key'],
  bearer: ['token'],
  basic: ['username', 'password'],
  oauth2_client_credentials: ['client_id', 'client_secret'],
};

/** `/admin/custom-connectors`: import an OpenAPI document, pick and bind operations, save, store the secret, test. */
export function CustomConnectorsPage() {
  const { request } = useStaffSession();
  const [connectors, setConnectors] = useState<CustomConnectorView[]>([]);
  const [source, setSource] = useState('');
  const [draft, setDraft] = useState<HttpImportResponse | null>(null);
  const [operations, setOperations] = useState<Array<DraftOperation & { picked: boolean }>>([]);
  const [id, setId] = useState('');
  const [title, setTitle] = useState('');
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [test, setTest] = useState({ operation: '', contactId: '', input: '{}' });
  const [output, setOutput] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setConnectors(
        (await request<{ connectors: CustomConnectorView[] }>('/api/admin/custom-connectors')).connectors,
      );
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [request]);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (step: () => Promise<void>) => {
    setError(null);
    try {
      await step();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  const importDocument = () =>
    act(async () => {
      const text = source.trim();
      const body = /^https?:\/\/\S+$/.test(text) ? { url: text } : { document: text };
      const answer = await request<HttpImportResponse>('/api/admin/custom-connectors/http/import', {
        method: 'POST',
        body,
      });
      setDraft(answer);
      setTitle(answer.title);
      setOperations(
        (answer.spec.operations as DraftOperation[]).map((operation) => ({ ...operation, picked: true })),
      );
    });

  const update = (index: number, change: Partial<DraftOperation & { picked: boolean }>) =>
    setOperations((current) =>
      current.map((operation, at) => (at === index ? { ...operation, ...change } : operation)),
    );

  const auth = (draft?.spec.auth as { type?: string } | undefined)?.type ?? 'none';

  const save = () =>
    act(async () => {
      if (!draft) return;
      const picked = operations
        .filter((operation) => operation.picked)
        .map(({ picked: _, ...operation }) => operation);
      await request(`/api/admin/custom-connectors/${encodeURIComponent(id)}`, {
        method: 'PUT',
        body: { kind: 'http', title, spec: { ...draft.spec, operations: picked } },
      });
      const filled = Object.fromEntries(Object.entries(secrets).filter(([, value]) => value));
      if (Object.keys(filled).length)
        await request(`/api/admin/connectors/${encodeURIComponent(id)}/credentials`, {
          method: 'PUT',
          body: filled,
        });
      setSecrets({});
      await load();
    });

  const runTest = () =>
    act(async () => {
      const answer = await request(`/api/admin/custom-connectors/${encodeURIComponent(id)}/test`, {
        method: 'POST',
        body: { operation: test.operation, contactId: test.contactId, input: JSON.parse(test.input || '{}') },
      });
      setOutput(JSON.stringify(answer, null, 2));
    });

  return (
    <>
      <h1>Custom connectors</h1>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <div className="table-wrap section">
        <table>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Kind</th>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Operations</th>
            </tr>
          </thead>
          <tbody>
            {connectors.map((connector) => (
              <tr key={connector.id}>
                <td>
                  <button type="button" className="link-button" onClick={() => setId(connector.id)}>
                    {connector.id}
                  </button>
                </td>
                <td>{connector.kind}</td>
                <td>{connector.version}</td>
                <td>{connector.problem ? `${connector.state}: ${connector.problem}` : connector.state}</td>
                <td>{connector.operations.map((operation) => operation.name).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Add an HTTP connector from OpenAPI</h2>
      <label>
        OpenAPI 3.x document (JSON or YAML) or its URL
        <textarea rows={8} value={source} onChange={(event) => setSource(event.target.value)} />
      </label>
      <div className="button-row section">
        <button type="button" onClick={() => void importDocument()} disabled={!source.trim()}>
          Import
        </button>
      </div>

      {draft && (
        <section className="card section stack">
          {draft.warnings.length > 0 && (
            <ul>
              {draft.warnings.map((warning) => (
                <li key={warning}>{warning}</li>
              ))}
            </ul>
          )}
          <label>
            Connector id
            <input value={id} onChange={(event) => setId(event.target.value)} placeholder="acme_orders" />
          </label>
          <label>
            Title
            <input value={title} onChange={(event) => setTitle(event.target.value)} />
          </label>
          {operations.map((operation, index) => (
            <fieldset key={operation.name}>
              <legend>
                <label>
                  <input
                    type="checkbox"
                    checked={operation.picked}
                    onChange={(event) => update(index, { picked: event.target.checked })}
                  />{' '}
                  {operation.name} — {operation.method} {operation.path} ({operation.effect})
                </label>
              </legend>
              <label>
                Customer binding
                <select
                  value={
                    operation.customer ? `${operation.customer.parameter}|${operation.customer.from}` : ''
                  }
                  onChange={(event) => {
                    const [parameter, from] = event.target.value.split('|');
                    update(index, { customer: parameter && from ? { parameter, from } : undefined });
                  }}
                >
                  <option value="">none</option>
                  {(operation.parameters ?? []).flatMap((parameter) =>
                    ['contactEmail', 'contactId', 'accountId'].map((from) => (
                      <option key={`${parameter.name}|${from}`} value={`${parameter.name}|${from}`}>
                        {parameter.name} ← session {from}
                      </option>
                    )),
                  )}
                </select>
              </label>
              <label>
                Output fields (comma-separated, e.g. id, items[].sku)
                <input
                  value={(operation.outputFields ?? []).join(', ')}
                  onChange={(event) =>
                    update(index, {
                      outputFields: event.target.value
                        .split(',')
                        .map((field) => field.trim())
                        .filter(Boolean),
                    })
                  }
                />
              </label>
              {operation.effect === 'write' && (
                <>
                  <label>
                    Idempotency key template
                    <input
                      value={operation.idempotency?.key ?? ''}
                      onChange={(event) =>
                        update(index, {
                          idempotency: {
                            key: event.target.value,
                            header: operation.idempotency?.header ?? 'Idempotency-Key',
                          },
                        })
                      }
                    />
                  </label>
                  <label>
                    <input
                      type="checkbox"
                      checked={operation.needsApproval ?? false}
                      onChange={(event) => update(index, { needsApproval: event.target.checked })}
                    />{' '}
                    Needs approval
                  </label>
                </>
              )}
            </fieldset>
          ))}
          {secretFields[auth]?.map((field) => (
            <label key={field}>
              {field} (stored encrypted in the vault)
              <input
                type="password"
                autoComplete="off"
                value={secrets[field] ?? ''}
                onChange={(event) => setSecrets((current) => ({ ...current, [field]: event.target.value }))}
              />
            </label>
          ))}
          <div className="button-row">
            <button type="button" onClick={() => void save()} disabled={!id}>
              Save
            </button>
          </div>
        </section>
      )}

      <h2>Test operation</h2>
      <p>
        Runs one read operation of connector “{id || '…'}” through the pipeline as a contact’s verified
        session.
      </p>
      <label>
        Operation
        <input
          value={test.operation}
          onChange={(event) => setTest({ ...test, operation: event.target.value })}
        />
      </label>
      <label>
        Test contact id
        <input
          value={test.contactId}
          onChange={(event) => setTest({ ...test, contactId: event.target.value })}
        />
      </label>
      <label>
        Input (JSON)
        <textarea
          rows={3}
          value={test.input}
          onChange={(event) => setTest({ ...test, input: event.target.value })}
        />
      </label>
      <div className="button-row section">
        <button
          type="button"
          onClick={() => void runTest()}
          disabled={!id || !test.operation || !test.contactId}
        >
          Run
        </button>
      </div>
      {output && <pre>{output}</pre>}
    </>
  );
}
