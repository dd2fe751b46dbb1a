import { describe, expect, it } from 'vitest';
import { canonicalJson, hashArgs } from './canonical.ts';
import {
  applyFieldRules,
  applyRedactions,
  dropSecretKeys,
  parsePath,
  redactSecretParams,
  scrubMessage,
  valuesAt,
} from './redaction.ts';

const account = {
  id: 'acc_1',
  name: 'Brightpath',
  owner: { name: 'Ann', email: 'ann@lumen.example' },
  contacts: [
    { id: 'ct_1', name: 'Maya', email: 'maya@brightpath.io', phones: [{ kind: 'work', number: '+49 1' }] },
    { id: 'ct_9', name: 'Lee', email: 'lee@brightpath.io', phones: [] },
  ],
};

describe('parsePath', () => {
  it('splits members and array items', () => {
    expect(parsePath('contacts[].email')).toEqual(['contacts', '[]', 'email']);
    expect(parsePath('[].id')).toEqual(['[]', 'id']);
    expect(parsePath('matrix[][].x')).toEqual(['matrix', '[]', '[]', 'x']);
  });

  it('rejects malformed paths', () => {
    expect(() => parsePath('contacts[0].email')).toThrow(/Invalid field path/);
    expect(() => parsePath('')).toThrow(/empty/);
  });
});

describe('applyFieldRules', () => {
  it('keeps only allowed fields, nested and inside arrays', () => {
    const result = applyFieldRules(account, {
      allow: ['id', 'owner.name', 'contacts[].name', 'contacts[].phones[].kind'],
    });
    expect(result).toEqual({
      id: 'acc_1',
      owner: { name: 'Ann' },
      contacts: [
        { name: 'Maya', phones: [{ kind: 'work' }] },
        { name: 'Lee', phones: [] },
      ],
    });
  });

  it('keeps a whole subtree when its parent is allowed', () => {
    expect(applyFieldRules(account, { allow: ['owner'] })).toEqual({ owner: account.owner });
  });

  it('removes redacted paths and leaves the input untouched', () => {
    const result = applyFieldRules(account, { redact: ['contacts[].email', 'owner.email'] });
    expect(JSON.stringify(result)).not.toContain('@');
    expect(result.contacts[1]).toEqual({ id: 'ct_9', name: 'Lee', phones: [] });
    expect(account.contacts[0]!.email).toBe('maya@brightpath.io');
  });

  it('applies redaction after the allow-list', () => {
    const result = applyFieldRules(account, { allow: ['contacts'], redact: ['contacts[].email'] });
    expect(result).toEqual({ contacts: account.contacts.map(({ email: _email, ...rest }) => rest) });
  });

  it('handles a root array', () => {
    expect(applyFieldRules([{ a: 1, b: 2 }], { allow: ['[].a'] })).toEqual([{ a: 1 }]);
  });
});

describe('redaction helpers', () => {
  it('finds values at paths, drops secret-looking keys and scrubs messages', () => {
    expect(valuesAt(account, ['contacts[].email'])).toEqual(['maya@brightpath.io', 'lee@brightpath.io']);
    expect(dropSecretKeys({ a: 1, api_key: 'x', nested: { password: 'p', ok: true } })).toEqual({
      a: 1,
      nested: { ok: true },
    });
    expect(scrubMessage('bad email maya@brightpath.io', ['maya@brightpath.io'])).toBe('bad email [redacted]');
    expect(applyRedactions({ email: 'x@y', id: 1 }, ['email'])).toEqual({ id: 1 });
  });

  it('redacts the secret of a signed URL inside any string, and only the secret', () => {
    const url = 'https://pay.example/update?lang=en&token=pl_ab12.1795000000.Zm9v-_bar&x=1#top';
    expect(redactSecretParams(`open ${url} now`)).toBe(
      'open https://pay.example/update?lang=en&token=[redacted]&x=1#top now',
    );
    expect(dropSecretKeys({ note: url, items: [`see ${url}`], n: 3 })).toEqual({
      note: 'https://pay.example/update?lang=en&token=[redacted]&x=1#top',
      items: ['see https://pay.example/update?lang=en&token=[redacted]&x=1#top'],
      n: 3,
    });
    expect(scrubMessage(`vendor refused ${url}`, [])).not.toContain('Zm9v');
    // A word "token" elsewhere, or a parameter that only ends in one, is left alone.
    expect(redactSecretParams('token=abc without a URL, ?mytoken=keep')).toBe(
      'token=abc without a URL, ?mytoken=keep',
    );
  });
});

describe('canonicalJson', () => {
  it('gives the same text and hash whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"x":2,"y":1}]},"b":1}',
    );
    expect(hashArgs({ a: 1, b: 2 })).toBe(hashArgs({ b: 2, a: 1 }));
    expect(hashArgs({ a: 1 })).not.toBe(hashArgs({ a: 2 }));
  });
});
