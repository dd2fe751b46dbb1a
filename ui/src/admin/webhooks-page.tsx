import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type {
  DeliveryDetail,
  DeliverySummary,
  SubscriptionBody,
  SubscriptionSecret,
  WebhookEventType,
  WebhookSubscription,
} from '../../../api/contract/outbound-webhooks.ts';
import { formatDateTime, formatMs, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

const stateBadges: Record<WebhookSubscription['state'], string> = {
  healthy: 'badge-ok',
  failing: 'badge-error',
  disabled: '',
};

const statusBadges: Record<DeliverySummary['status'], string> = {
  delivered: 'badge-ok',
  failed: 'badge-error',
  retrying: 'badge-warn',
  sending: 'badge-warn',
  pending: '',
};

/**
 * `/admin/webhooks`: outbound webhook subscriptions (the signing secret is shown once, when created
 * or rotated), the delivery log with each attempt's response code, latency and error, and redelivery.
 */
export function WebhooksPage() {
  const { request } = useStaffSession();
  const [subscriptions, setSubscriptions] = useState<WebhookSubscription[]>([]);
  const [eventTypes, setEventTypes] = useState<WebhookEventType[]>([]);
  const [deliveries, setDeliveries] = useState<DeliverySummary[]>([]);
  const [detail, setDetail] = useState<DeliveryDetail | null>(null);
  const [secret, setSecret] = useState<SubscriptionSecret | null>(null);
  const [url, setUrl] = useState('');
  const [chosen, setChosen] = useState<WebhookEventType[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const list = await request<{ subscriptions: WebhookSubscription[]; eventTypes: WebhookEventType[] }>(
        '/api/admin/webhooks',
      );
      setSubscriptions(list.subscriptions);
      setEventTypes(list.eventTypes);
      setDeliveries(
        (await request<{ deliveries: DeliverySummary[] }>('/api/admin/webhooks/deliveries')).deliveries,
      );
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }, [request]);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (work: () => Promise<void>) => {
    try {
      await work();
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    }
    await load();
  };

  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      const body: SubscriptionBody = { url: url.trim(), events: chosen };
      setSecret(await request<SubscriptionSecret>('/api/admin/webhooks', { method: 'POST', body }));
      setUrl('');
      setChosen([]);
    });
  };

  const showDelivery = (id: string) =>
    void act(async () => setDetail(await request<DeliveryDetail>(`/api/admin/webhooks/deliveries/${id}`)));

  return (
    <>
      <h1>Webhooks</h1>
      <p className="muted">
        Switchboard POSTs signed JSON events to these endpoints: each request carries a{' '}
        <code>Switchboard-Signature</code> header (see docs/webhooks.md). Private and loopback addresses are
        refused unless WEBHOOK_ALLOWED_HOSTS names them.
      </p>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {secret && (
        <div className="banner" role="status">
          <p>Signing secret for {secret.subscription.url} — copy it now, it is not shown again:</p>
          <pre>{secret.secret}</pre>
          <button type="button" onClick={() => setSecret(null)}>
            I have stored it
          </button>
        </div>
      )}

      <section className="section">
        <h2>Add an endpoint</h2>
        <form className="stack" onSubmit={create}>
          <label>
            URL
            <input type="url" required value={url} onChange={(event) => setUrl(event.target.value)} />
          </label>
          <fieldset>
            <legend>Events</legend>
            {eventTypes.map((type) => (
              <label key={type}>
                <input
                  type="checkbox"
                  checked={chosen.includes(type)}
                  onChange={(event) =>
                    setChosen(
                      event.target.checked ? [...chosen, type] : chosen.filter((item) => item !== type),
                    )
                  }
                />{' '}
                <code>{type}</code>
              </label>
            ))}
          </fieldset>
          <div className="button-row">
            <button type="submit" disabled={chosen.length === 0}>
              Subscribe
            </button>
          </div>
        </form>
      </section>

      <section className="section">
        <h2>Endpoints</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {subscriptions.map((subscription) => (
                <tr key={subscription.id}>
                  <td>
                    <code>{subscription.url}</code>
                  </td>
                  <td>{subscription.events.join(', ')}</td>
                  <td>
                    <span className={`badge ${stateBadges[subscription.state]}`}>
                      {humanize(subscription.state)}
                    </span>
                    {subscription.consecutiveFailures > 0 && (
                      <div className="muted">{subscription.consecutiveFailures} failed attempts in a row</div>
                    )}
                  </td>
                  <td className="button-row">
                    <button
                      type="button"
                      onClick={() =>
                        void act(async () =>
                          setSecret(
                            await request<SubscriptionSecret>(
                              `/api/admin/webhooks/${subscription.id}/rotate-secret`,
                              {
                                method: 'POST',
                              },
                            ),
                          ),
                        )
                      }
                    >
                      Rotate secret
                    </button>
                    <button
                      type="button"
                      onClick={() => {
                        if (window.confirm(`Delete the subscription for ${subscription.url}?`)) {
                          void act(async () => {
                            await request(`/api/admin/webhooks/${subscription.id}`, { method: 'DELETE' });
                          });
                        }
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
              {subscriptions.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    No endpoints yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </section>

      <section className="section">
        <h2>Delivery log</h2>
        <div className="button-row">
          <button type="button" onClick={() => void load()}>
            Refresh
          </button>
        </div>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last response</th>
                <th scope="col">Next retry</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((delivery) => (
                <tr key={delivery.id}>
                  <td>
                    <code>{delivery.eventType}</code>
                    <div className="muted">{formatDateTime(delivery.createdAt)}</div>
                  </td>
                  <td>
                    <code>{delivery.url}</code>
                  </td>
                  <td>
                    <span className={`badge ${statusBadges[delivery.status]}`}>
                      {humanize(delivery.status)}
                    </span>
                  </td>
                  <td>{delivery.attempts}</td>
                  <td>
                    {delivery.lastResponseCode ?? '—'}
                    {delivery.lastLatencyMs !== null && (
                      <span className="muted"> in {formatMs(delivery.lastLatencyMs)}</span>
                    )}
                    {delivery.lastError && <div className="error">{delivery.lastError}</div>}
                  </td>
                  <td>{delivery.nextAttemptAt ? formatDateTime(delivery.nextAttemptAt) : '—'}</td>
                  <td className="button-row">
                    <button type="button" onClick={() => showDelivery(delivery.id)}>
                      Attempts
                    </button>
                    <button
                      type="button"
                      disabled={delivery.status === 'sending'}
                      onClick={() =>
                        void act(async () => {
                          await request(`/api/admin/webhooks/deliveries/${delivery.id}/redeliver`, {
                            method: 'POST',
                          });
                        })
                      }
                    >
                      Redeliver
                    </button>
                  </td>
                </tr>
              ))}
              {deliveries.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted">
                    No deliveries yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </section>

      {detail && (
        <section className="section" aria-label="Delivery attempts">
          <h2>
            Attempts of <code>{detail.id}</code> ({detail.eventType})
          </h2>
          <ol>
            {detail.log.map((attempt) => (
              <li key={attempt.attempt}>
                {formatDateTime(attempt.startedAt)}: {attempt.responseCode ?? 'no response'} in{' '}
                {formatMs(attempt.latencyMs)}
                {attempt.manual && ' (redelivered by hand)'}
                {attempt.error && <span className="error"> — {attempt.error}</span>}
                {attempt.nextRetryAt && (
                  <span className="muted"> — next retry {formatDateTime(attempt.nextRetryAt)}</span>
                )}
              </li>
            ))}
          </ol>
          <details>
            <summary>Event data</summary>
            <pre>{JSON.stringify(detail.payload, null, 2)}</pre>
          </details>
          <button type="button" onClick={() => setDetail(null)}>
            Close
          </button>
        </section>
      )}
    </>
  );
}
