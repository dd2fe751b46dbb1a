import { type FormEvent, useId, useState } from 'react';
import type { ApprovalBody, EscalationPacket, PendingAction } from '../../../api/contract/console.ts';
import { formatMs, humanize } from '../shared/format.ts';
import { KeyValue } from '../shared/key-value.tsx';

const callBadge = (status: string) =>
  status === 'ok' ? 'badge-ok' : status === 'error' ? 'badge-error' : status === 'stale' ? 'badge-warn' : '';

/** The escalation packet: who, what they want, what the agent did, and what waits for approval. */
export function PacketView({ packet }: { packet: EscalationPacket }) {
  return (
    <section className="card section" aria-labelledby="packet-heading">
      <h2 id="packet-heading">Escalation packet</h2>
      <p>{packet.summary}</p>
      <h3>Identity</h3>
      <KeyValue
        value={{
          name: packet.identity.name,
          email: packet.identity.email,
          verified: packet.identity.verified ? 'yes' : 'no',
          tier: packet.identity.tier,
          contact: packet.identity.contactId,
          account: packet.identity.accountId,
        }}
      />
      <h3>Intent</h3>
      <p>
        {humanize(packet.intent)}{' '}
        <span className="muted">(confidence {Math.round(packet.confidence * 100)}%)</span>
      </p>
      <h3>Details collected</h3>
      <KeyValue value={packet.slots} />
      <h3>Connector calls</h3>
      {packet.calls.length === 0 ? (
        <p className="muted">No calls.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Call</th>
                <th scope="col">Status</th>
                <th scope="col">Latency</th>
              </tr>
            </thead>
            <tbody>
              {packet.calls.map((call, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the call log is append-only
                <tr key={index}>
                  <td>
                    {call.connector}.{call.operation}
                    {call.message && <div className="muted">{call.message}</div>}
                  </td>
                  <td>
                    <span className={`badge ${callBadge(call.status)}`}>{humanize(call.status)}</span>
                    {call.errorKind && <div className="muted">{humanize(call.errorKind)}</div>}
                  </td>
                  <td>{formatMs(call.latencyMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * The pending action with its decision. `approval`: a write stopped at an approval limit (Approve /
 * Deny). `retry`: a write that failed after its retries, handed over with the exact call (Retry /
 * Deny): retrying runs it once under its original idempotency key, so nothing is done twice. The
 * internal reason stays with the team; only the message to the customer is sent, as written.
 */
export function PendingActionCard({
  action,
  mode,
  busy,
  failure,
  onDecide,
}: {
  action: PendingAction;
  mode: 'approval' | 'retry';
  busy: boolean;
  /** Why the last decision was not carried out (e.g. the system is still down). */
  failure: string | null;
  /** The body of `POST /api/console/conversations/:id/approval` (empty texts left out). */
  onDecide(decision: ApprovalBody): void;
}) {
  const ids = useId();
  const [internalReason, setInternalReason] = useState('');
  const [customerMessage, setCustomerMessage] = useState('');
  const decide = (approved: boolean) => (event?: FormEvent) => {
    event?.preventDefault();
    const reason = internalReason.trim();
    const message = customerMessage.trim();
    onDecide({
      approved,
      ...(reason ? { internalReason: reason } : {}),
      ...(message ? { customerMessage: message } : {}),
    });
  };
  return (
    <form
      className="card section pending-action stack"
      onSubmit={decide(true)}
      aria-labelledby="pending-heading"
    >
      <h2 id="pending-heading">
        {mode === 'approval' ? 'Waiting for approval' : 'Not done: waiting for a retry'}
      </h2>
      <p>
        <strong>
          {action.connector}.{action.operation}
        </strong>{' '}
        — {action.reason}
      </p>
      {mode === 'retry' && (
        <p>
          Nothing was changed. Once {action.connector} is back, Retry runs this exact call once (a call that
          did go through is not repeated) and the customer gets the confirmation; Deny drops it.
        </p>
      )}
      {failure && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
      <KeyValue value={action.input} />
      <label>
        Internal reason (only your team sees this)
        <input value={internalReason} onChange={(event) => setInternalReason(event.target.value)} />
      </label>
      <label>
        Message to the customer (sent as written)
        <textarea
          value={customerMessage}
          aria-describedby={`${ids}-message-hint`}
          onChange={(event) => setCustomerMessage(event.target.value)}
        />
      </label>
      <p id={`${ids}-message-hint`} className="muted">
        Optional. Sent after the outcome; not sent if the action cannot be carried out.
      </p>
      <div className="button-row">
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'approval' ? 'Approve' : 'Retry'}
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => decide(false)()}>
          Deny
        </button>
      </div>
    </form>
  );
}
