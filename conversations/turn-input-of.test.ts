import { describe, expect, it } from 'vitest';
import { turnInputOf } from './turns.ts';

describe('turnInputOf', () => {
  const actionId = 'act_0123456789abcdef';

  it('runs a stored button press on its structured input, not on its words', () => {
    expect(
      turnInputOf({
        id: '7',
        body: 'Yes, please go ahead.',
        metadata: { input: { kind: 'confirm', actionId } },
      }),
    ).toEqual({ kind: 'confirm', actionId });
    expect(
      turnInputOf({
        id: '8',
        body: '••••••',
        metadata: { input: { kind: 'verify_code', code: '••••••' }, code_hashes: ['a'.repeat(64)] },
      }),
    ).toEqual({ kind: 'verify_code', code: '••••••' });
  });

  it('reads a row without an input (a typed message, an email) as the message its body says', () => {
    expect(turnInputOf({ id: '9', body: 'yes please', metadata: {} })).toEqual({
      kind: 'message',
      text: 'yes please',
    });
  });

  it('fails the turn for an input that does not validate, never falling back to the words', () => {
    expect(() =>
      turnInputOf({ id: '10', body: 'Yes, please go ahead.', metadata: { input: { kind: 'confirm' } } }),
    ).toThrow(/message 10 has an invalid turn input/);
    expect(() =>
      turnInputOf({ id: '11', body: '123456', metadata: { input: { kind: 'verify_code', code: 'abc' } } }),
    ).toThrow(/invalid turn input/);
  });
});
