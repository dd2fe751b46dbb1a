import { type FormEvent, useState } from 'react';
import { formatMs, humanize } from '../shared/format.ts';
import { KeyValue } from '../shared/key-value.tsx';
import type { Packet } from './console-types.ts';

const callBadge = (status: string) =>
  status === 'ok' ? 'badge-ok' : status === 'error' ? 'badge-error' : status === 'stale' ? 'badge-warn' : '';

/** The escalation packet: who, what they want, what the agent did, and what waits for approval. */
export function PacketView({ packet }: { packet: Packet }) {
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

/** The write that stopped at an approval limit, with Approve / Deny. */
export function PendingActionCard({
  action,
  busy,
  onDecide,
}: {
  action: NonNullable<Packet['pendingAction']>;
  busy: boolean;
  onDecide(approved: boolean, note: string): void;
}) {
  const [note, setNote] = useState('');
  const decide = (approved: boolean) => (event?: FormEvent) => {
    event?.preventDefault();
    onDecide(approved, note.trim());
  };
  return (
    <form
      className="card section pending-action stack"
      onSubmit={decide(true)}
      aria-labelledby="pending-heading"
    >
      <h2 id="pending-heading">Waiting for approval</h2>
      <p>
        <strong>
          {action.connector}.{action.operation}
        </strong>{' '}
        — {action.reason}
      </p>
      <KeyValue value={action.input} />
      <label>
        Note (optional)
        <input value={note} onChange={(event) => setNote(event.target.value)} />
      </label>
      <div className="button-row">
        <button type="submit" className="primary" disabled={busy}>
          Approve
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => decide(false)()}>
          Deny
        </button>
      </div>
    </form>
  );
}
