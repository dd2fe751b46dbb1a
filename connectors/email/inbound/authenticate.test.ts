import { beforeAll, describe, expect, it } from 'vitest';
import { authenticateInboundEmail } from './authenticate.ts';
import { createDkimKey, signWithDkim, stubResolver } from './test-support.ts';
import { isAlignedDmarcPass, mailAuthOf } from './verdict.ts';

let brightpath: ReturnType<typeof createDkimKey>;
let elsewhere: ReturnType<typeof createDkimKey>;
let records: Record<string, string[]>;

beforeAll(() => {
  brightpath = createDkimKey();
  elsewhere = createDkimKey();
  records = {
    'sb._domainkey.brightpath.io TXT': [brightpath.record],
    '_dmarc.brightpath.io TXT': ['v=DMARC1; p=reject'],
    'brightpath.io TXT': ['v=spf1 ip4:203.0.113.5 -all'],
    'sb._domainkey.elsewhere.example TXT': [elsewhere.record],
  };
});

const message = (from = 'Maya Chen <maya@brightpath.io>', body = 'Please refund INV-1001.') =>
  [
    `From: ${from}`,
    'To: support@lumen.example',
    'Subject: Refund',
    'Message-ID: <m1@brightpath.io>',
    'Date: Fri, 20 Nov 2026 09:00:00 +0000',
    '',
    body,
    '',
  ].join('\r\n');

const signed = signWithDkim;

const mta = { mta: 'mx.lumen.example' };

describe('authenticateInboundEmail', () => {
  it('an aligned DKIM signature passes DMARC: the sender is proven', async () => {
    const { resolver } = stubResolver(records);
    const raw = await signed(message(), 'brightpath.io', brightpath.privateKey);
    const verdict = await authenticateInboundEmail(
      Buffer.from(raw),
      'maya@brightpath.io',
      {},
      { resolver, ...mta },
    );
    expect(verdict).toMatchObject({
      dmarc: 'pass',
      dkim: 'pass',
      spf: 'none',
      aligned: true,
      from_domain: 'brightpath.io',
    });
    expect(verdict.authentication_results).toMatch(
      /^mx\.lumen\.example; dkim=pass .*header\.d=brightpath\.io/,
    );
    expect(verdict.authentication_results).toContain('dmarc=pass');
    expect(isAlignedDmarcPass({ mail_auth: verdict })).toBe(true);
    expect(mailAuthOf({ mail_auth: verdict })).toEqual(verdict);
  });

  it('a valid signature by another domain does not align: DMARC fails', async () => {
    const { resolver } = stubResolver(records);
    const raw = await signed(message(), 'elsewhere.example', elsewhere.privateKey);
    const verdict = await authenticateInboundEmail(
      Buffer.from(raw),
      'maya@brightpath.io',
      {},
      { resolver, ...mta },
    );
    expect(verdict).toMatchObject({ dmarc: 'fail', dkim: 'pass', aligned: false });
    expect(isAlignedDmarcPass({ mail_auth: verdict })).toBe(false);
  });

  it('a body changed after signing fails the signature and DMARC', async () => {
    const { resolver } = stubResolver(records);
    const raw = await signed(message(), 'brightpath.io', brightpath.privateKey);
    const tampered = raw.replace('INV-1001', 'INV-9999');
    const verdict = await authenticateInboundEmail(
      Buffer.from(tampered),
      'maya@brightpath.io',
      {},
      { resolver, ...mta },
    );
    expect(verdict.dkim).not.toBe('pass');
    expect(verdict.authentication_results).toContain('body hash did not verify');
    expect(verdict).toMatchObject({ dmarc: 'fail', aligned: false });
  });

  it('SPF checks the SMTP client: a pass aligns without DKIM, a fail does not', async () => {
    const { resolver } = stubResolver(records);
    const raw = Buffer.from(message());
    const envelope = { helo: 'mx.brightpath.io', mailFrom: 'maya@brightpath.io' };
    const fromTheirServer = await authenticateInboundEmail(
      raw,
      'maya@brightpath.io',
      { ...envelope, ip: '203.0.113.5' },
      { resolver, ...mta },
    );
    expect(fromTheirServer).toMatchObject({ spf: 'pass', dkim: 'none', dmarc: 'pass', aligned: true });
    const fromElsewhere = await authenticateInboundEmail(
      raw,
      'maya@brightpath.io',
      { ...envelope, ip: '198.51.100.7' },
      { resolver, ...mta },
    );
    expect(fromElsewhere).toMatchObject({ spf: 'fail', dkim: 'none', dmarc: 'fail', aligned: false });
    expect(fromElsewhere.authentication_results).toContain('spf=fail');
  });

  it('without the client address SPF is not evaluated (no SPF lookup), DKIM and DMARC still are', async () => {
    const { resolver, queries } = stubResolver(records);
    const raw = await signed(message(), 'brightpath.io', brightpath.privateKey);
    const verdict = await authenticateInboundEmail(
      Buffer.from(raw),
      'maya@brightpath.io',
      { mailFrom: 'maya@brightpath.io' },
      { resolver, ...mta },
    );
    expect(verdict).toMatchObject({ spf: 'none', dmarc: 'pass', aligned: true });
    expect(verdict.authentication_results).toContain('spf=none (no SMTP client address');
    expect(queries).not.toContain('brightpath.io TXT');
    expect(queries).toContain('_dmarc.brightpath.io TXT');
  });

  it('a second From address cannot borrow the pass of the signed one', async () => {
    const { resolver } = stubResolver(records);
    const twoAuthors = await signed(
      message('maya@brightpath.io, omar@northwind.example'),
      'brightpath.io',
      brightpath.privateKey,
    );
    const verdict = await authenticateInboundEmail(
      Buffer.from(twoAuthors),
      'maya@brightpath.io',
      {},
      { resolver, ...mta },
    );
    expect(verdict).toMatchObject({ dmarc: 'permerror', aligned: false });
    // A pass for one address says nothing about another one the store would use.
    const single = await signed(message(), 'brightpath.io', brightpath.privateKey);
    const mismatched = await authenticateInboundEmail(
      Buffer.from(single),
      'omar@brightpath.io',
      {},
      { resolver, ...mta },
    );
    expect(mismatched).toMatchObject({ dmarc: 'pass', aligned: false });
  });

  it('a DNS failure is a temporary error, recorded, and never a pass', async () => {
    const { resolver } = stubResolver(records, ['_dmarc.brightpath.io TXT']);
    const raw = await signed(message(), 'brightpath.io', brightpath.privateKey);
    const verdict = await authenticateInboundEmail(
      Buffer.from(raw),
      'maya@brightpath.io',
      {},
      { resolver, ...mta },
    );
    expect(verdict).toMatchObject({ dmarc: 'temperror', dkim: 'pass', aligned: false });
  });
});

describe('mailAuthOf / isAlignedDmarcPass', () => {
  it('reads nothing from metadata without a verdict or with one in another shape', () => {
    expect(mailAuthOf({ channel: 'chat' })).toBeNull();
    expect(mailAuthOf(null)).toBeNull();
    expect(mailAuthOf({ mail_auth: { dmarc: 'pass', aligned: 'yes' } })).toBeNull();
    expect(
      mailAuthOf({ mail_auth: { dmarc: 'maybe', spf: 'none', dkim: 'none', aligned: true } }),
    ).toBeNull();
    expect(isAlignedDmarcPass({ mail_auth: 'pass' })).toBe(false);
  });

  it('needs both a DMARC pass and alignment', () => {
    const base = { spf: 'none', dkim: 'pass', from_domain: 'brightpath.io', authentication_results: 'mx; …' };
    expect(isAlignedDmarcPass({ mail_auth: { ...base, dmarc: 'pass', aligned: true } })).toBe(true);
    expect(isAlignedDmarcPass({ mail_auth: { ...base, dmarc: 'pass', aligned: false } })).toBe(false);
    expect(isAlignedDmarcPass({ mail_auth: { ...base, dmarc: 'fail', aligned: true } })).toBe(false);
  });
});
