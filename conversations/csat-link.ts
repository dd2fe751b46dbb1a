import { createHmac, timingSafeEqual } from 'node:crypto';
import { type DerivedKeys, deriveKeys, type MasterKeys } from '../connectors/core/master-key.ts';

/**
 * The keys that sign rating links of the email channel ("How did we do?" in a reply): `current`
 * signs new links, any of `all` verifies one (links mailed before a master-key rotation still work).
 */
export type CsatLinkKeys = DerivedKeys;

/** Derives the rating-link keys from the master keys: their own use, never the reply tokens' keys. */
export const csatLinkKeysFrom = (masterKeys: MasterKeys): CsatLinkKeys =>
  deriveKeys(masterKeys, 'switchboard/csat/rating-link/v1');

const tagOf = (key: Buffer, conversationId: string): string =>
  createHmac('sha256', key).update(`csat:${conversationId}`).digest('base64url').slice(0, 32);

/**
 * The token of a conversation's rating link: `<conversation id>.<signature>`. It lets whoever holds
 * the mail rate that one conversation, once, and nothing else (it reads no message and no record).
 */
export function csatLinkToken(keys: CsatLinkKeys, conversationId: string): string {
  return `${conversationId}.${tagOf(keys.current, conversationId)}`;
}

/** The conversation a rating-link token names, or null when it was not signed by one of `keys`. */
export function conversationOfCsatToken(keys: CsatLinkKeys, token: string): string | null {
  const match = /^(conv_[a-z0-9_]{1,64})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!match) return null;
  const [, conversationId, tag] = match;
  const given = Buffer.from(tag!);
  const signed = keys.all.some((key) => {
    const expected = Buffer.from(tagOf(key, conversationId!));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  return signed ? conversationId! : null;
}

/** The page a rating link opens, under the deployment's public base URL. */
export function csatLinkUrl(publicBaseUrl: string, token: string): string {
  const base = publicBaseUrl.endsWith('/') ? publicBaseUrl : `${publicBaseUrl}/`;
  return new URL(`rate/${encodeURIComponent(token)}`, base).toString();
}
