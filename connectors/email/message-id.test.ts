import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMasterKeys } from '../core/master-key.ts';
import { checkReplyToken, mintMessageId, replyTokenKeysFrom } from './message-id.ts';

const base64Key = () => randomBytes(32).toString('base64');

describe('reply tokens in our Message-IDs', () => {
  const keys = replyTokenKeysFrom(parseMasterKeys(base64Key()));

  it('mints a fresh, unguessable id each time that our keys verify', () => {
    const first = mintMessageId(keys, 'lumen.example');
    const second = mintMessageId(keys, 'lumen.example');
    expect(first).toMatch(/^<sb\.[0-9a-f]{32}\.[0-9a-f]{32}@lumen\.example>$/);
    expect(second).not.toBe(first);
    expect(checkReplyToken(first, keys)).toBe('valid');
    expect(checkReplyToken(second, keys)).toBe('valid');
  });

  it('refuses a forged tag, a changed nonce and a token signed with another key', () => {
    const genuine = mintMessageId(keys);
    const [, nonce, tag] = /^<sb\.([0-9a-f]{32})\.([0-9a-f]{32})@/.exec(genuine)!;
    const flipped = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;
    expect(checkReplyToken(`<sb.${nonce}.${flipped(tag!)}@switchboard.local>`, keys)).toBe('invalid');
    expect(checkReplyToken(`<sb.${flipped(nonce!)}.${tag}@switchboard.local>`, keys)).toBe('invalid');
    const strangers = replyTokenKeysFrom(parseMasterKeys(base64Key()));
    expect(checkReplyToken(mintMessageId(strangers), keys)).toBe('invalid');
    expect(checkReplyToken('<sb.not-a-token@switchboard.local>', keys)).toBe('invalid');
  });

  it('calls other Message-IDs foreign', () => {
    expect(checkReplyToken('<CAF=abc123@mail.gmail.com>', keys)).toBe('foreign');
    expect(checkReplyToken('<0123456789abcdef0123456789abcdef@switchboard.local>', keys)).toBe('foreign');
  });

  it('keeps verifying tokens of the previous master key after a rotation', () => {
    const oldKey = base64Key();
    const before = replyTokenKeysFrom(parseMasterKeys(oldKey));
    const sentBefore = mintMessageId(before);
    const after = replyTokenKeysFrom(parseMasterKeys(`new:${base64Key()},old:${oldKey}`));
    expect(checkReplyToken(sentBefore, after)).toBe('valid');
    expect(checkReplyToken(mintMessageId(after), before)).toBe('invalid');
    // The derived key is not the master key itself.
    expect(before.current.equals(Buffer.from(oldKey, 'base64'))).toBe(false);
  });
});
