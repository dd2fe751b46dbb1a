import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { type AddressGuard, BlockedAddressError, createAddressGuard } from '../../core/address-guard.ts';

export { BlockedAddressError };

/**
 * Server-side requests to addresses an admin typed in (an OpenAPI document's URL, an HTTP
 * connector's endpoints) go through the one address guard (connectors/core/address-guard.ts):
 * private, loopback, link-local and other non-public addresses are refused unless
 * `CUSTOM_CONNECTOR_ALLOWED_HOSTS` names them, the check runs where the socket connects (DNS
 * rebinding cannot slip through), and redirects are never followed.
 */
export interface OutboundPolicy {
  /** Host names, IP addresses or CIDR ranges that may be reached although they are not public (config). */
  allowedHosts: readonly string[];
}

/** The guard of HTTP connectors and OpenAPI imports under `policy`. */
export const outboundGuard = (policy: OutboundPolicy): AddressGuard =>
  createAddressGuard({ allowList: policy.allowedHosts, setting: 'CUSTOM_CONNECTOR_ALLOWED_HOSTS' });

export interface OutboundRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Answers longer than this are cut off and refused. */
  maxBytes: number;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** The answer was longer than the caller accepts. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

/** Sends requests under a policy, over keep-alive agents that `close` lets go of. */
export interface OutboundClient {
  send(request: OutboundRequest): Promise<OutboundResponse>;
  close(): void;
}

export function createOutboundClient(policy: OutboundPolicy): OutboundClient {
  const guard = outboundGuard(policy);
  const { lookup } = guard;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 32, lookup } as http.AgentOptions),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 32, lookup } as https.AgentOptions),
  };
  return {
    async send(request) {
      const { url } = request;
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new BlockedAddressError(`${url.protocol} URLs are not fetched`);
      // An IP literal never reaches `lookup`: judge it here.
      if (net.isIP(url.hostname.replace(/^\[|\]$/g, ''))) await guard.resolve(url.hostname);
      const module = url.protocol === 'https:' ? https : http;
      return new Promise<OutboundResponse>((resolve, reject) => {
        const outgoing = module.request(
          url,
          {
            method: request.method,
            headers: {
              ...request.headers,
              ...(request.body !== undefined ? { 'content-length': Buffer.byteLength(request.body) } : {}),
            },
            agent: agents[url.protocol as 'http:' | 'https:'],
            signal: request.signal,
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            let length = 0;
            incoming.on('data', (chunk: Buffer) => {
              length += chunk.length;
              if (length > request.maxBytes) {
                incoming.destroy();
                reject(new ResponseTooLargeError(`the answer is over ${request.maxBytes} bytes`));
                return;
              }
              chunks.push(chunk);
            });
            incoming.on('end', () =>
              resolve({
                status: incoming.statusCode ?? 0,
                headers: incoming.headers,
                text: Buffer.concat(chunks).toString('utf8'),
              }),
            );
            incoming.on('error', reject);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(request.body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
