import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal values always give the same text
 * (`undefined` members dropped, as JSON.stringify does).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = sortKeys(member);
  }
  return sorted;
}

/** Hex sha256 of the canonical JSON of `value` (the audit row's args hash, cache keys). */
export function hashArgs(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** A plain-JSON copy (dates become ISO strings), so a fresh result and a replayed one look the same. */
export function toJsonValue<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
