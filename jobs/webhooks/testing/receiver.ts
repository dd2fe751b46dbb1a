import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signatureHeader, verifyWebhookSignature } from '../signature.ts';

/** One request the receiver got, and whether its signature verified the documented way. */
export interface ReceivedDelivery {
  body: string;
  eventId: string | undefined;
  deliveryId: string | undefined;
  /** The `Switchboard-Signature` header as received. */
  signature: string | undefined;
  verified: boolean;
  answered: number | 'hung';
}

/**
 * A real HTTP endpoint for tests: verifies each request's `Switchboard-Signature` with the secret it
 * is given (raw body, 5-minute window), answers 401 to a bad one, and otherwise answers with the next
 * planned status (then 200), or never answers for `'hang'`.
 */
export async function startReceiver(options: { port?: number; plan?: Array<number | 'hang'> } = {}) {
  const plan = [...(options.plan ?? [])];
  const received: ReceivedDelivery[] = [];
  let secret = '';
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const check = verifyWebhookSignature({
        header: request.headers[signatureHeader] as string,
        body,
        secret,
      });
      const next = check.ok ? (plan.shift() ?? 200) : 401;
      received.push({
        body,
        eventId: request.headers['switchboard-event-id'] as string | undefined,
        deliveryId: request.headers['switchboard-delivery-id'] as string | undefined,
        signature: request.headers[signatureHeader] as string | undefined,
        verified: check.ok,
        answered: next === 'hang' ? 'hung' : next,
      });
      if (next === 'hang') return;
      response.writeHead(next, { 'content-type': 'text/plain' }).end(next < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/switchboard`,
    port,
    received,
    /** The secret to verify with (the one the subscription's creation returned). */
    verifyWith(value: string) {
      secret = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A local port nothing listens on (yet). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
