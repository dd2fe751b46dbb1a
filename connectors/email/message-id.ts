import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type DerivedKeys, deriveKeys, type MasterKeys } from '../core/master-key.ts';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The keys that sign the reply tokens in our outgoing Message-IDs: `current` signs new mail, and a
 * token signed by any key in `all` is accepted, so replies to mail sent before a master-key rotation
 * still verify while the old key is configured.
 */
export type ReplyTokenKeys = DerivedKeys;

/** Derives the reply-token keys from the master keys (connectors/core/master-key.ts), current key first. */
export const replyTokenKeysFrom = (masterKeys: MasterKeys): ReplyTokenKeys =>
  deriveKeys(masterKeys, 'switchboard/email/reply-token/v1');

let processKeys: ReplyTokenKeys | undefined;

/**
 * A key made up for this process, for entry points that send mail but never receive any (evals, the
 * terminal chat, tests). Replies to such mail verify only in the same process: everything that
 * receives mail (the API runtime, the workers) passes the master-key-derived keys instead.
 */
export function processReplyTokenKeys(): ReplyTokenKeys {
  if (!processKeys) {
    const key = randomBytes(32);
    processKeys = { current: key, all: [key] };
  }
  return processKeys;
}

const tagOf = (key: Buffer, nonce: string): string =>
  createHmac('sha256', key).update(`reply-token:${nonce}`).digest('hex').slice(0, 32);

const tokenPattern = /^<sb\.([0-9a-f]{32})\.([0-9a-f]{32})@[^<>@\s]{1,253}>$/;

/**
 * A new Message-ID for an outgoing mail, `<sb.{nonce}.{tag}@{domain}>`: 128 random bits no one can
 * guess, and an HMAC of them that only a holder of the key can make. A reply naming it (In-Reply-To
 * / References) shows that its sender received that very mail; conversations/email-intake.ts still requires the
 * id to be an outbox row of the conversation it joins.
 */
export function mintMessageId(keys: ReplyTokenKeys, domain = 'switchboard.local'): string {
  const nonce = randomBytes(16).toString('hex');
  return `<sb.${nonce}.${tagOf(keys.current, nonce)}@${domain}>`;
}

/** How a referenced Message-ID looks to us: one of our signed reply tokens, shaped like one but forged, or foreign. */
export type ReplyTokenCheck = 'valid' | 'invalid' | 'foreign';

/** Checks a Message-ID (with angle brackets) against the reply-token keys in constant time. */
export function checkReplyToken(messageId: string, keys: ReplyTokenKeys): ReplyTokenCheck {
  if (!/^<sb\./i.test(messageId)) return 'foreign';
  const match = tokenPattern.exec(messageId);
  if (!match) return 'invalid';
  const [, nonce, tag] = match;
  const given = Buffer.from(tag!, 'hex');
  return keys.all.some((key) => timingSafeEqual(Buffer.from(tagOf(key, nonce!), 'hex'), given))
    ? 'valid'
    : 'invalid';
}

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
