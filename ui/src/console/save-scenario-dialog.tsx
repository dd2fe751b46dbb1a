import { type FormEvent, useId, useRef, useState } from 'react';
import type { SaveScenarioBody, SaveScenarioResponse } from '../../../api/contract/captured-scenarios.ts';
import { escalationReasons } from '../../../api/contract/values.ts';
import { humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

type Outcome = SaveScenarioBody['outcome'];
const outcomes: Array<{ value: Outcome; label: string }> = [
  { value: 'escalated', label: 'Escalated to a person' },
  { value: 'resolved', label: 'Resolved by the assistant' },
  { value: 'answered', label: 'Answered by the assistant' },
];

/**
 * "Save as test" (docs/evals.md, "Captured scenarios"): saves the conversation as a regression
 * scenario of the captured suite, which the admin eval page runs. The human picks what today's agent
 * should do and a name; the preview shows the scenario exactly as it will be stored — personal data
 * replaced and only the records the conversation touched.
 */
export function SaveScenarioDialog({
  conversationId,
  reason,
}: {
  conversationId: string;
  /** The escalation's reason: the default expected reason. */
  reason: string;
}) {
  const { request } = useStaffSession();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const [name, setName] = useState('');
  const [outcome, setOutcome] = useState<Outcome>('escalated');
  const [expectedReason, setExpectedReason] = useState<string>(
    (escalationReasons as readonly string[]).includes(reason) ? reason : '',
  );
  const [sameWrites, setSameWrites] = useState(false);
  const [preview, setPreview] = useState<string | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const body = (previewOnly: boolean): SaveScenarioBody => ({
    name: name.trim(),
    outcome,
    escalationReason:
      outcome === 'escalated' && expectedReason !== ''
        ? (expectedReason as NonNullable<SaveScenarioBody['escalationReason']>)
        : null,
    expectSameWrites: sameWrites,
    ...(previewOnly ? { preview: true } : {}),
  });

  const send = async (previewOnly: boolean) => {
    if (!name.trim()) {
      setStatus({ ok: false, text: 'Give the test a name first.' });
      return;
    }
    setBusy(true);
    try {
      const result = await request<SaveScenarioResponse>(
        `/api/console/conversations/${encodeURIComponent(conversationId)}/scenario`,
        { method: 'POST', body: body(previewOnly) },
      );
      setPreview(result.yaml);
      setStatus(
        previewOnly
          ? { ok: true, text: 'Preview below: this is what will be stored.' }
          : {
              ok: true,
              text: `Saved as test "${result.id}" in the captured suite (run it from the eval page).`,
            },
      );
    } catch (failure) {
      setStatus({ ok: false, text: `Could not save: ${errorMessage(failure)}` });
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void send(false);
  };

  return (
    <>
      <button type="button" onClick={() => dialogRef.current?.showModal()}>
        Save as test
      </button>
      <dialog
        ref={dialogRef}
        aria-labelledby={headingId}
        className="card"
        style={{ width: 'min(48rem, 92vw)' }}
      >
        <form className="stack" onSubmit={submit}>
          <h2 id={headingId}>Save this conversation as a test</h2>
          <p className="muted">
            The customer's messages and the records the conversation touched become a scenario of the captured
            suite, with names, addresses, phone numbers and ids replaced.
          </p>
          <label>
            Name
            <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={200} />
          </label>
          <fieldset>
            <legend>What should today's assistant do?</legend>
            {outcomes.map((item) => (
              <label key={item.value} className="inline">
                <input
                  type="radio"
                  name="expected-outcome"
                  value={item.value}
                  checked={outcome === item.value}
                  onChange={() => setOutcome(item.value)}
                />{' '}
                {item.label}
              </label>
            ))}
          </fieldset>
          {outcome === 'escalated' && (
            <label>
              Expected reason
              <select value={expectedReason} onChange={(event) => setExpectedReason(event.target.value)}>
                <option value="">Any reason</option>
                {escalationReasons.map((item) => (
                  <option key={item} value={item}>
                    {humanize(item)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="inline">
            <input
              type="checkbox"
              checked={sameWrites}
              onChange={(event) => setSameWrites(event.target.checked)}
            />{' '}
            Expect the same changes this conversation made (and no others)
          </label>
          <p role="status" aria-live="polite" className={status && !status.ok ? 'error' : 'muted'}>
            {status?.text}
          </p>
          {preview && (
            <section aria-label="Scenario preview">
              <pre style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{preview}</pre>
            </section>
          )}
          <div className="button-row">
            <button type="button" disabled={busy} onClick={() => void send(true)}>
              Preview
            </button>
            <button type="submit" className="primary" disabled={busy}>
              Save test
            </button>
            <button type="button" onClick={() => dialogRef.current?.close()}>
              Close
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
