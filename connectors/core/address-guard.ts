import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Server-side requests to URLs an admin typed in — webhook subscriptions, HTTP connectors and their
 * OpenAPI imports, MCP servers — must not reach into the host's own network. One guard decides for
 * all of them: only public unicast addresses are allowed, unless the allow-list of the setting that
 * configures that use names them. An allow-list entry is an IP address, a CIDR range (`10.1.0.0/16`)
 * or a host name (exact, case-insensitive; all its addresses are then allowed). Everything else —
 * loopback, private, link-local (cloud metadata), CGNAT, multicast, unspecified, reserved, and the
 * IPv4-mapped IPv6 forms of those — is refused.
 */
export interface AddressGuard {
  /** Throws `BlockedAddressError` unless the URL is http(s), holds no credentials, and every address its host resolves to is allowed. */
  checkUrl(url: string | URL): Promise<void>;
  /** The address to connect to for `hostname`, after checking every address it resolves to. */
  resolve(hostname: string): Promise<{ address: string; family: number }>;
  /**
   * A `lookup` for node:http(s) requests and agents: the connection goes to the address just checked,
   * so a name that resolves to a public address when checked and to a private one a moment later
   * (DNS rebinding) cannot slip through. An IP literal never reaches a `lookup`: check it first.
   */
  lookup: LookupFunction;
}

/** A request refused before it left: the address is not public and not allowed. Its message says why. */
export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
  readonly code = 'EBLOCKED';
}

/** Resolves a host name to every address it has (dns.lookup; a stub in tests). */
export type HostResolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: HostResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const bareHost = (hostname: string) => hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** Whether an address is public unicast (an IPv4-mapped IPv6 address is judged as the IPv4 it carries). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

export function createAddressGuard(options: {
  /** Entries of the allow-list (IP, CIDR, host name). */
  allowList?: readonly string[];
  /** The setting that holds the allow-list, named in refusals so an admin knows where to allow a host. */
  setting: string;
  resolver?: HostResolver;
}): AddressGuard {
  const resolver = options.resolver ?? systemResolver;
  const hosts = new Set<string>();
  const ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const entry of options.allowList ?? []) {
    const value = bareHost(entry.trim());
    if (!value) continue;
    if (value.includes('/')) ranges.push(ipaddr.parseCIDR(value));
    else if (ipaddr.isValid(value)) ranges.push([ipaddr.parse(value), value.includes(':') ? 128 : 32]);
    else hosts.add(value);
  }

  const allowedAddress = (text: string): boolean => {
    const address = ipaddr.process(text);
    if (ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits)))
      return true;
    return address.range() === 'unicast';
  };

  const resolve = async (rawHostname: string) => {
    const hostname = bareHost(rawHostname);
    const listedHost = hosts.has(hostname);
    const addresses = ipaddr.isValid(hostname)
      ? [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }]
      : await resolver(hostname).catch((error: Error) => {
          throw new BlockedAddressError(`${hostname} does not resolve (${error.message})`);
        });
    if (addresses.length === 0) throw new BlockedAddressError(`${hostname} does not resolve`);
    if (!listedHost) {
      const refused = addresses.find((candidate) => !allowedAddress(candidate.address));
      if (refused)
        throw new BlockedAddressError(
          `${hostname} resolves to ${refused.address}, a private, loopback or link-local address ` +
            `not on the allow-list (${options.setting})`,
        );
    }
    return addresses[0]!;
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      ({ address, family }) => {
        if (lookupOptions.all) callback(null, [{ address, family }]);
        else callback(null, address, family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };

  return {
    resolve,
    lookup,
    async checkUrl(url) {
      let parsed: URL;
      try {
        parsed = typeof url === 'string' ? new URL(url) : url;
      } catch {
        throw new BlockedAddressError('not a URL');
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
        throw new BlockedAddressError(`${parsed.protocol} URLs are not called; use http or https`);
      if (parsed.username || parsed.password)
        throw new BlockedAddressError('the URL may not hold credentials');
      await resolve(parsed.hostname);
    },
  };
}
