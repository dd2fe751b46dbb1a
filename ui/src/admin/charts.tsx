/** A tiny latency line (no axes) for a table cell; the numbers are in the text next to it. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const width = 96;
  const height = 24;
  if (values.length < 2) return <span className="muted">not enough samples</span>;
  const max = Math.max(...values, 1);
  const step = width / (values.length - 1);
  const points = values.map(
    (value, index) =>
      `${(index * step).toFixed(1)},${(height - 2 - (value / max) * (height - 4)).toFixed(1)}`,
  );
  return (
    <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <polyline points={points.join(' ')} fill="none" stroke="#1d4ed8" strokeWidth="2" />
    </svg>
  );
}

export interface Series {
  name: string;
  colour: string;
  /** Values between 0 and 1; null where a run has no value. */
  values: Array<number | null>;
}

/**
 * A line chart of rates (0–100%) over runs, with a legend. It is a summary picture: the page's
 * runs table holds the same numbers for screen readers and exact reading.
 */
export function RateChart({ labels, series, title }: { labels: string[]; series: Series[]; title: string }) {
  const width = 640;
  const height = 240;
  const pad = { left: 44, right: 12, top: 12, bottom: 28 };
  const innerWidth = width - pad.left - pad.right;
  const innerHeight = height - pad.top - pad.bottom;
  const x = (index: number) =>
    pad.left + (labels.length <= 1 ? innerWidth / 2 : (index * innerWidth) / (labels.length - 1));
  const y = (value: number) => pad.top + innerHeight - value * innerHeight;
  return (
    <figure className="section">
      <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
        {[0, 0.25, 0.5, 0.75, 1].map((tick) => (
          <g key={tick}>
            <line x1={pad.left} x2={width - pad.right} y1={y(tick)} y2={y(tick)} stroke="#d1d5db" />
            <text x={pad.left - 6} y={y(tick) + 4} textAnchor="end" fontSize="11" fill="#4b5563">
              {Math.round(tick * 100)}%
            </text>
          </g>
        ))}
        {labels.map((label, index) =>
          // At most about six dates fit under the chart: label every n-th run, and always the last.
          index % Math.ceil(labels.length / 6) === 0 || index === labels.length - 1 ? (
            <text key={label} x={x(index)} y={height - 8} textAnchor="middle" fontSize="11" fill="#4b5563">
              {shortDate(label)}
            </text>
          ) : null,
        )}
        {series.map((line) => {
          const points = line.values.flatMap((value, index) =>
            value === null ? [] : [`${x(index)},${y(value)}`],
          );
          return (
            <g key={line.name}>
              <polyline points={points.join(' ')} fill="none" stroke={line.colour} strokeWidth="2.5" />
              {line.values.map((value, index) =>
                value === null ? null : (
                  // biome-ignore lint/suspicious/noArrayIndexKey: one point per run, in run order
                  <circle key={index} cx={x(index)} cy={y(value)} r="3.5" fill={line.colour} />
                ),
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {series.map((line) => (
          <span key={line.name} style={{ color: line.colour }}>
            {line.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function shortDate(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? value.slice(0, 10)
    : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
