import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { AnalyticsSummary } from '../../../api/contract/analytics.ts';
import { formatMs, formatPercent, humanize } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

/**
 * `/admin/analytics`: how the agent does on real conversations (docs/analytics.md) over a period —
 * rates over time, escalation reasons, approvals, human response times, CSAT, intents and connector
 * calls — with the latest eval run's resolution rate beside the live one, and a CSV download. Each
 * chart has a table of the same numbers under it (in a disclosure) for screen readers and exact reading.
 */

type Period = { preset: 7 | 30 | 90 | null; from: string; to: string };
type Channel = '' | 'chat' | 'email';

/** The viewer's time zone: the days are counted in it (the API's `tz`). */
const viewerZone = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
})();

/** Today's date in the viewer's zone, as YYYY-MM-DD. */
function today(): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: viewerZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .format(new Date())
    .slice(0, 10);
}

function daysBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

const presetPeriod = (days: 7 | 30 | 90): Period => {
  const to = today();
  return { preset: days, from: daysBefore(to, days - 1), to };
};

const colours = {
  automated: '#166534',
  verified: '#1d4ed8',
  escalated: '#b91c1c',
  eval: '#6b21a8',
  neutral: '#374151',
  amber: '#92400e',
};

/** "4 min", "1 h 20 min" from seconds, or a dash. */
function formatSeconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value < 60) return `${Math.round(value)} s`;
  const minutes = Math.round(value / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const percentAxis = (value: number) => `${Math.round(value * 100)}%`;
const shortDay = (date: string) => date.slice(5);

/**
 * Horizontal bars of conversation counts by a label (escalation reason, intent). ResponsiveContainer
 * hands its measured size to its direct child: passed on to the chart.
 */
function CountBars({
  counts,
  labelWidth,
  fill,
  width,
  height,
}: {
  counts: Array<{ label: string; count: number }>;
  labelWidth: number;
  fill: string;
  width?: number;
  height?: number;
}) {
  return (
    <BarChart
      accessibilityLayer={false}
      data={counts}
      layout="vertical"
      {...(width !== undefined ? { width } : {})}
      {...(height !== undefined ? { height } : {})}
    >
      <CartesianGrid stroke="#e5e7eb" />
      <XAxis type="number" allowDecimals={false} />
      <YAxis type="category" dataKey="label" width={labelWidth} />
      <Tooltip />
      <Bar dataKey="count" name="Conversations" fill={fill} />
    </BarChart>
  );
}

export function AnalyticsPage() {
  const { request } = useStaffSession();
  const [period, setPeriod] = useState<Period>(() => presetPeriod(30));
  const [draft, setDraft] = useState<{ from: string; to: string }>(() => ({
    from: period.from,
    to: period.to,
  }));
  const [channel, setChannel] = useState<Channel>('');
  const [summary, setSummary] = useState<AnalyticsSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const query = new URLSearchParams({
    from: period.from,
    to: period.to,
    tz: viewerZone,
    ...(channel ? { channel } : {}),
  }).toString();

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setSummary(await request<AnalyticsSummary>(`/api/admin/analytics/summary?${query}`));
      setError(null);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setLoading(false);
    }
  }, [request, query]);
  useEffect(() => {
    void load();
  }, [load]);

  const choosePreset = (days: 7 | 30 | 90) => {
    const next = presetPeriod(days);
    setPeriod(next);
    setDraft({ from: next.from, to: next.to });
  };
  const applyCustom = (event: FormEvent) => {
    event.preventDefault();
    setPeriod({ preset: null, from: draft.from, to: draft.to });
  };

  const totals = summary?.totals;
  const days = summary?.days ?? [];
  const empty =
    totals !== undefined &&
    totals.conversations === 0 &&
    totals.csat.ratings === 0 &&
    totals.connectors.calls === 0;

  return (
    <>
      <h1>Analytics</h1>
      <p className="muted">
        Real conversations, counted by day in your time zone ({viewerZone}). Conversation figures count the
        conversations that started that day; approvals, ratings and connector calls count when they happened.
      </p>
      <fieldset className="filters" style={{ border: 0, padding: 0, margin: 0 }}>
        <legend className="sr-only">Period</legend>
        {([7, 30, 90] as const).map((days) => (
          <button
            key={days}
            type="button"
            aria-pressed={period.preset === days}
            className={period.preset === days ? 'primary' : undefined}
            onClick={() => choosePreset(days)}
          >
            Last {days} days
          </button>
        ))}
      </fieldset>
      <form className="filters" onSubmit={applyCustom} aria-label="Custom period">
        <label>
          From
          <input
            type="date"
            value={draft.from}
            max={draft.to}
            required
            onChange={(event) => setDraft({ ...draft, from: event.target.value })}
          />
        </label>
        <label>
          To
          <input
            type="date"
            value={draft.to}
            min={draft.from}
            required
            onChange={(event) => setDraft({ ...draft, to: event.target.value })}
          />
        </label>
        <button type="submit">Show period</button>
        <label>
          Channel
          <select value={channel} onChange={(event) => setChannel(event.target.value as Channel)}>
            <option value="">All channels</option>
            <option value="chat">Chat</option>
            <option value="email">Email</option>
          </select>
        </label>
        <a href={`/api/admin/analytics/export.csv?${query}`} download>
          Download CSV
        </a>
      </form>
      <p role="status" className="muted">
        {loading
          ? 'Loading…'
          : summary
            ? `${summary.from} to ${summary.to}${summary.channel ? `, ${summary.channel}` : ''}`
            : ''}
      </p>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {empty && (
        <p className="banner" data-testid="analytics-empty">
          No conversations, ratings or connector calls in this period yet: the charts fill in as customers
          talk to the agent.
        </p>
      )}
      {summary && totals && (
        <>
          <section className="card section" aria-labelledby="analytics-headline">
            <h2 id="analytics-headline">The period at a glance</h2>
            <dl className="key-value" data-testid="analytics-totals">
              <dt>Conversations</dt>
              <dd data-testid="total-conversations">{totals.conversations}</dd>
              <dt>Automated resolution (live)</dt>
              <dd data-testid="automated-rate">{formatPercent(totals.automatedRate)}</dd>
              <dt>Latest eval run's resolution rate</dt>
              <dd data-testid="eval-rate">
                {summary.latestEval
                  ? `${formatPercent(summary.latestEval.resolutionRate)} (${summary.latestEval.suite}, ${summary.latestEval.finishedAt.slice(0, 10)})`
                  : 'no finished run'}
              </dd>
              <dt>Resolved by a verified action</dt>
              <dd>{formatPercent(totals.verifiedActionRate)}</dd>
              <dt>Escalation rate</dt>
              <dd>{formatPercent(totals.escalationRate)}</dd>
              <dt>CSAT</dt>
              <dd data-testid="csat-average">
                {totals.csat.average === null
                  ? 'no ratings'
                  : `${totals.csat.average.toFixed(2)} / 5 from ${totals.csat.ratings} rating${totals.csat.ratings === 1 ? '' : 's'}`}
              </dd>
              <dt>First human response (median)</dt>
              <dd>{formatSeconds(totals.humanHandled.firstResponseMedianSeconds)}</dd>
              <dt>Connector calls</dt>
              <dd>
                {totals.connectors.calls} calls, {formatPercent(totals.connectors.successRate)} successful,
                p95 {formatMs(totals.connectors.p95LatencyMs)}
              </dd>
            </dl>
          </section>

          <ChartSection
            id="rates"
            title="Resolution and escalation rates per day"
            chart={
              <LineChart accessibilityLayer={false} data={days}>
                <CartesianGrid stroke="#e5e7eb" />
                <XAxis dataKey="date" tickFormatter={shortDay} />
                <YAxis domain={[0, 1]} tickFormatter={percentAxis} />
                <Tooltip formatter={(value) => formatPercent(Number(value))} />
                <Legend />
                <Line
                  dataKey="automatedRate"
                  name="Automated resolution"
                  stroke={colours.automated}
                  connectNulls
                />
                <Line
                  dataKey="verifiedActionRate"
                  name="Verified action"
                  stroke={colours.verified}
                  connectNulls
                />
                <Line dataKey="escalationRate" name="Escalated" stroke={colours.escalated} connectNulls />
              </LineChart>
            }
            headers={['Day', 'Conversations', 'Automated', 'Verified action', 'Escalated']}
            rows={days.map((day) => [
              day.date,
              day.conversations,
              formatPercent(day.automatedRate),
              formatPercent(day.verifiedActionRate),
              formatPercent(day.escalationRate),
            ])}
            note={
              summary.latestEval
                ? `The latest eval run (${summary.latestEval.suite}) resolved ${formatPercent(summary.latestEval.resolutionRate)} of its scenarios; live automated resolution over the period is ${formatPercent(totals.automatedRate)}.`
                : undefined
            }
          />

          <ChartSection
            id="volume"
            title="Conversations per day"
            chart={
              <BarChart accessibilityLayer={false} data={days}>
                <CartesianGrid stroke="#e5e7eb" />
                <XAxis dataKey="date" tickFormatter={shortDay} />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Bar dataKey="conversations" name="Conversations" fill={colours.neutral} />
              </BarChart>
            }
            headers={['Day', 'Conversations']}
            rows={days.map((day) => [day.date, day.conversations])}
          />

          <ChartSection
            id="reasons"
            title="Escalations by reason"
            chart={
              <CountBars
                counts={countsOf(totals.escalationsByReason)}
                labelWidth={170}
                fill={colours.escalated}
              />
            }
            headers={['Reason', 'Conversations']}
            rows={countsOf(totals.escalationsByReason).map((item) => [item.label, item.count])}
          />

          <ChartSection
            id="intents"
            title="Conversations by intent"
            chart={<CountBars counts={countsOf(totals.intents)} labelWidth={200} fill={colours.verified} />}
            headers={['Intent', 'Conversations']}
            rows={countsOf(totals.intents).map((item) => [item.label, item.count])}
          />

          <ChartSection
            id="approvals"
            title="Approval requests and their outcomes"
            chart={
              <BarChart accessibilityLayer={false} data={days}>
                <CartesianGrid stroke="#e5e7eb" />
                <XAxis dataKey="date" tickFormatter={shortDay} />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar dataKey="approvals.approved" stackId="a" name="Approved" fill={colours.automated} />
                <Bar dataKey="approvals.denied" stackId="a" name="Denied" fill={colours.escalated} />
                <Bar dataKey="approvals.pending" stackId="a" name="Pending" fill={colours.amber} />
                <Bar
                  dataKey="approvals.closedUndecided"
                  stackId="a"
                  name="Closed undecided"
                  fill={colours.neutral}
                />
              </BarChart>
            }
            headers={['Day', 'Requested', 'Approved', 'Denied', 'Pending', 'Closed undecided']}
            rows={days.map((day) => [
              day.date,
              day.approvals.requested,
              day.approvals.approved,
              day.approvals.denied,
              day.approvals.pending,
              day.approvals.closedUndecided,
            ])}
          />

          <ChartSection
            id="human"
            title="Human-handled conversations: first response and time to resolution (medians, minutes)"
            chart={
              <LineChart
                accessibilityLayer={false}
                data={days.map((day) => ({ date: day.date, ...minutesOf(day.humanHandled) }))}
              >
                <CartesianGrid stroke="#e5e7eb" />
                <XAxis dataKey="date" tickFormatter={shortDay} />
                <YAxis />
                <Tooltip />
                <Legend />
                <Line dataKey="firstResponse" name="First response" stroke={colours.verified} connectNulls />
                <Line dataKey="resolution" name="Time to resolution" stroke={colours.amber} connectNulls />
              </LineChart>
            }
            headers={['Day', 'Handed over', 'First response (median)', 'Time to resolution (median)']}
            rows={days.map((day) => [
              day.date,
              day.humanHandled.conversations,
              formatSeconds(day.humanHandled.firstResponseMedianSeconds),
              formatSeconds(day.humanHandled.resolutionMedianSeconds),
            ])}
          />

          <ChartSection
            id="csat"
            title={`CSAT ratings (average ${totals.csat.average === null ? '—' : totals.csat.average.toFixed(2)})`}
            chart={
              <BarChart
                accessibilityLayer={false}
                data={totals.csat.distribution.map((count, index) => ({ label: `${index + 1}`, count }))}
              >
                <CartesianGrid stroke="#e5e7eb" />
                <XAxis dataKey="label" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Bar dataKey="count" name="Ratings" fill={colours.automated} />
              </BarChart>
            }
            headers={['Rating', 'Ratings']}
            rows={totals.csat.distribution.map((count, index) => [`${index + 1} of 5`, count])}
          />

          <ChartSection
            id="connectors"
            title="Connector calls: success rate per day"
            chart={
              <LineChart accessibilityLayer={false} data={days}>
                <CartesianGrid stroke="#e5e7eb" />
                <XAxis dataKey="date" tickFormatter={shortDay} />
                <YAxis domain={[0, 1]} tickFormatter={percentAxis} />
                <Tooltip formatter={(value) => formatPercent(Number(value))} />
                <Line
                  dataKey="connectors.successRate"
                  name="Success rate"
                  stroke={colours.automated}
                  connectNulls
                />
              </LineChart>
            }
            headers={['Day', 'Calls', 'Failures', 'Success rate', 'p95 latency']}
            rows={days.map((day) => [
              day.date,
              day.connectors.calls,
              day.connectors.failures,
              formatPercent(day.connectors.successRate),
              formatMs(day.connectors.p95LatencyMs),
            ])}
          />
        </>
      )}
    </>
  );
}

/** A record of counts as chart rows, largest first. */
function countsOf(counts: Record<string, number | undefined>): Array<{ label: string; count: number }> {
  return Object.entries(counts)
    .map(([key, count]) => ({ label: key.includes('.') ? key : humanize(key), count: count ?? 0 }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

function minutesOf(human: AnalyticsSummary['totals']['humanHandled']) {
  const minutes = (seconds: number | null) => (seconds === null ? null : Math.round(seconds / 6) / 10);
  return {
    firstResponse: minutes(human.firstResponseMedianSeconds),
    resolution: minutes(human.resolutionMedianSeconds),
  };
}

/**
 * A chart (a picture: hidden from screen readers, which read the table) with the same numbers as a
 * table in a disclosure under it.
 */
function ChartSection({
  id,
  title,
  chart,
  headers,
  rows,
  note,
}: {
  id: string;
  title: string;
  chart: ReactNode;
  headers: string[];
  rows: Array<Array<string | number>>;
  note?: string | undefined;
}) {
  return (
    <section className="card section" aria-labelledby={`${id}-heading`} data-testid={`chart-${id}`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {note && <p className="muted">{note}</p>}
      {/* inert: the chart library makes the picture focusable, which a hidden picture must not be (axe). */}
      <div aria-hidden="true" inert style={{ width: '100%', height: 260 }}>
        <ResponsiveContainer width="100%" height="100%">
          {chart as never}
        </ResponsiveContainer>
      </div>
      <details>
        <summary>Table of “{title}”</summary>
        <div className="table-wrap">
          <table>
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                {headers.map((header) => (
                  <th key={header} scope="col">
                    {header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={String(row[0])}>
                  {row.map((cell, index) =>
                    index === 0 ? (
                      <th key={headers[index]} scope="row">
                        {cell}
                      </th>
                    ) : (
                      <td key={headers[index]}>{cell}</td>
                    ),
                  )}
                </tr>
              ))}
              {rows.length === 0 && (
                <tr>
                  <td colSpan={headers.length} className="muted">
                    Nothing in this period.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}
