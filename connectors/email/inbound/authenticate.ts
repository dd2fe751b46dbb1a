import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { authenticate, type DNSResolver } from 'mailauth';
import type { DkimResult, DmarcResult, MailAuthVerdict, SpfResult } from './verdict.ts';

/**
 * A DNS lookup as mailauth makes it: `(name, 'TXT' | 'A' | 'AAAA' | 'MX' | …)`, answering like
 * `dns.promises.resolve` and failing with its error codes (`ENOTFOUND`, `ENODATA`, …).
 */
export type DnsResolver = DNSResolver;

/** What the SMTP session knew about the client: the address it connected from, its HELO, MAIL FROM. */
export interface SmtpEnvelope {
  /** The connecting (or, behind XCLIENT, the original) client address; without it SPF is not evaluated. */
  ip?: string;
  helo?: string;
  /** The MAIL FROM address; '' for the null sender of a bounce. */
  mailFrom?: string;
}

/** How inbound mail is authenticated. */
export interface MailAuthOptions {
  /** DNS lookups (tests pass a stub). Default: node's resolver, bounded to 5 s × 2 tries a query. */
  resolver?: DnsResolver;
  /** This server's name in Authentication-Results. Default: the host name (as mailauth's). */
  mta?: string;
}

const systemResolver = new dns.Resolver({ timeout: 5_000, tries: 2 });
const defaultResolver: DnsResolver = (name, rrtype) =>
  systemResolver.resolve(name, rrtype) as ReturnType<DnsResolver>;

const spfResults: readonly SpfResult[] = [
  'pass',
  'fail',
  'softfail',
  'neutral',
  'none',
  'temperror',
  'permerror',
];
const dkimResults: readonly DkimResult[] = [
  'pass',
  'fail',
  'neutral',
  'none',
  'policy',
  'temperror',
  'permerror',
];
const dmarcResults: readonly DmarcResult[] = ['pass', 'fail', 'none', 'temperror', 'permerror'];

/** mailauth's result spelled the RFC 8601 way; something unexpected counts as a permanent error. */
function normalize<T extends string>(value: string | undefined, allowed: readonly T[]): T {
  const result = value === 'temperr' ? 'temperror' : value === 'skipped' ? 'none' : value;
  return allowed.includes(result as T) ? (result as T) : ('permerror' as T);
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * Authenticates a raw message with mailauth: SPF for the SMTP client and MAIL FROM, DKIM signatures,
 * and DMARC alignment of the author's From domain. `fromAddress` is the sender the message will be
 * stored under (parse.ts): `aligned` is true only when DMARC passed for exactly that one address, so
 * a second From header or address cannot borrow another domain's pass. ARC and BIMI are not
 * evaluated: the verdict trusts no forwarder's word and shows no logos.
 */
export async function authenticateInboundEmail(
  raw: Buffer,
  fromAddress: string,
  envelope: SmtpEnvelope,
  options: MailAuthOptions = {},
): Promise<MailAuthVerdict> {
  // Without the client's address SPF has nothing to check, and mailauth would evaluate a MAIL FROM
  // against an undefined address; DKIM and DMARC (on DKIM alone) still evaluate.
  const ip = envelope.ip && isIP(envelope.ip) ? envelope.ip : undefined;
  const mta = options.mta ?? hostname();
  const result = await authenticate(raw, {
    ...(ip
      ? {
          ip,
          ...(envelope.helo ? { helo: envelope.helo } : {}),
          ...(envelope.mailFrom ? { sender: envelope.mailFrom } : {}),
        }
      : {}),
    mta,
    resolver: options.resolver ?? defaultResolver,
    disableArc: true,
    disableBimi: true,
  });

  const signatures = result.dkim.results ?? [];
  const signature =
    signatures.find((row) => row.status.result === 'pass' && row.status.aligned) ?? signatures[0];
  const spf: SpfResult = ip && result.spf ? normalize(result.spf.status.result, spfResults) : 'none';
  // mailauth gives no DMARC result when From does not hold exactly one address.
  const dmarc: DmarcResult = result.dmarc ? normalize(result.dmarc.status.result, dmarcResults) : 'permerror';
  const authors = result.dkim.headerFrom ?? [];
  const aligned =
    dmarc === 'pass' && authors.length === 1 && authors[0]!.toLowerCase() === fromAddress.toLowerCase();

  const rows = [
    ...signatures.map((row) => row.info),
    ip && result.spf ? result.spf.info : 'spf=none (no SMTP client address: SPF not evaluated)',
    result.dmarc ? result.dmarc.info : 'dmarc=permerror (From does not hold exactly one address)',
  ].filter((row): row is string => !!row);
  return {
    dmarc,
    spf,
    dkim: normalize(signature?.status.result ?? 'none', dkimResults),
    aligned,
    from_domain: domainOf(fromAddress),
    authentication_results: `${mta}; ${rows.join('; ')}`.replace(/\s+/g, ' ').slice(0, 4000),
  };
}
