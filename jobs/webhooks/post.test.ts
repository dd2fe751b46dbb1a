import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAddressGuard, type HostResolver } from '../../connectors/core/address-guard.ts';
import { postWebhook } from './post.ts';

const resolver: HostResolver = async (hostname) => {
  if (hostname !== 'rebind.example.com') throw new Error('ENOTFOUND');
  return [{ address: '127.0.0.1', family: 4 }];
};

describe('postWebhook', () => {
  it('never connects to a refused address, even one a public-looking name resolves to', async () => {
    let requests = 0;
    const server = http.createServer((_, response) => {
      requests += 1;
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const guard = createAddressGuard({ resolver, setting: 'WEBHOOK_ALLOWED_HOSTS' });
      const outcome = await postWebhook({
        url: `http://rebind.example.com:${port}/hook`,
        headers: {},
        body: '{}',
        timeoutMs: 1_000,
        guard,
      });
      expect(outcome).toMatchObject({ responseCode: null, permanent: true });
      expect(outcome.error).toContain('allow-list');
      const allowed = await postWebhook({
        url: `http://rebind.example.com:${port}/hook`,
        headers: {},
        body: '{}',
        timeoutMs: 1_000,
        guard: createAddressGuard({ resolver, setting: 'WEBHOOK_ALLOWED_HOSTS', allowList: ['127.0.0.1'] }),
      });
      expect(allowed).toMatchObject({ responseCode: 200, error: null });
      expect(requests).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
