import { describe, expect, it } from 'vitest';
import { replyTokenKeysFrom } from '../connectors/email/message-id.ts';
import { conversationOfCsatToken, csatLinkKeysFrom, csatLinkToken, csatLinkUrl } from './csat-link.ts';

const keysOf = (fill: number, others: number[] = []) =>
  csatLinkKeysFrom({
    currentKeyId: 'current',
    keys: {
      current: Buffer.alloc(32, fill),
      ...Object.fromEntries(others.map((other, index) => [`old${index}`, Buffer.alloc(32, other)])),
    },
  });

describe('rating links of the email channel', () => {
  const conversationId = 'conv_0123456789abcdef0123456789abcdef';

  it('names the conversation it was signed for, and only with a key that signed it', () => {
    const token = csatLinkToken(keysOf(1), conversationId);
    expect(conversationOfCsatToken(keysOf(1), token)).toBe(conversationId);
    expect(conversationOfCsatToken(keysOf(2), token)).toBeNull();
    // After a rotation the old key still verifies links already mailed.
    expect(conversationOfCsatToken(keysOf(2, [1]), token)).toBe(conversationId);
  });

  it('refuses a token moved to another conversation, altered, or malformed', () => {
    const keys = keysOf(1);
    const token = csatLinkToken(keys, conversationId);
    const signature = token.split('.')[1]!;
    expect(conversationOfCsatToken(keys, `conv_ffffffffffffffffffffffffffffffff.${signature}`)).toBeNull();
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    expect(conversationOfCsatToken(keys, `${conversationId}.${flipped}`)).toBeNull();
    expect(conversationOfCsatToken(keys, conversationId)).toBeNull();
    expect(conversationOfCsatToken(keys, `${token}x`)).toBeNull();
    expect(conversationOfCsatToken(keys, '')).toBeNull();
  });

  it('does not derive the same key as another use of the master key', () => {
    const keys = keysOf(1);
    expect(keys.current.equals(Buffer.alloc(32, 1))).toBe(false);
    const replyTokens = replyTokenKeysFrom({
      currentKeyId: 'current',
      keys: { current: Buffer.alloc(32, 1) },
    });
    expect(keys.current.equals(replyTokens.current)).toBe(false);
  });

  it('builds the page URL under the public base, with or without a path prefix', () => {
    expect(csatLinkUrl('https://support.example.com', 'conv_1.abc')).toBe(
      'https://support.example.com/rate/conv_1.abc',
    );
    expect(csatLinkUrl('https://example.com/help/', 'conv_1.abc')).toBe(
      'https://example.com/help/rate/conv_1.abc',
    );
  });
});
