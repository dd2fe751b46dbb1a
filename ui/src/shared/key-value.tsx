/** Renders any JSON value readably: objects as definition lists, arrays as lists, scalars as text. */
export function KeyValue({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (value === null || value === undefined || value === '') return <span className="muted">—</span>;
  if (typeof value !== 'object') return <span>{String(value)}</span>;
  if (depth > 3) return <code>{JSON.stringify(value)}</code>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    return (
      <ul className="plain-list">
        {value.map((item, index) => (
          // Items are plain data without ids; their position is their identity here.
          // biome-ignore lint/suspicious/noArrayIndexKey: static data rendered once
          <li key={index}>
            <KeyValue value={item} depth={depth + 1} />
          </li>
        ))}
      </ul>
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="key-value">
      {entries.map(([key, item]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>
            <KeyValue value={item} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
