import { createHash } from 'node:crypto';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The Message-ID ledger's id for a send: derived from the idempotency key, so a retried or
 * replayed send maps to the same outbox row, and a re-send after a crash carries the same header.
 */
export const messageIdFor = (idempotencyKey: string, domain = 'switchboard.local'): string =>
  `<${sha256(`email:${idempotencyKey}`).slice(0, 32)}@${domain}>`;

/** The outbox row id for a Message-ID. */
export const outboxIdFor = (messageId: string): string => `em_${sha256(messageId).slice(0, 24)}`;

/** A stable text form of JSON-like data: object keys sorted, so equal values hash equally. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Short hash of a value's stable form, for natural idempotency keys. */
export const hashValue = (value: unknown): string => sha256(stableStringify(value)).slice(0, 16);
