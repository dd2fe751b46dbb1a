import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  BlockedAddressError,
  createAddressGuard,
  type HostResolver,
  isPublicAddress,
} from './address-guard.ts';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.215.14'],
  'mixed.example.com': ['93.184.215.14', '10.1.2.3'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'v6.example.com': ['2606:4700::6810:84e5'],
  'intranet.corp': ['10.20.0.7'],
  'rebind.example.com': ['127.0.0.1'],
};
const resolver: HostResolver = async (hostname) => {
  const addresses = dns[hostname];
  if (!addresses) throw new Error('ENOTFOUND');
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('createAddressGuard', () => {
  const guard = createAddressGuard({ resolver, setting: 'TEST_ALLOWED_HOSTS' });

  it('allows public addresses', async () => {
    await expect(guard.checkUrl('https://hooks.example.com/x')).resolves.toBeUndefined();
    await expect(guard.checkUrl('https://v6.example.com/x')).resolves.toBeUndefined();
    await expect(guard.checkUrl('http://8.8.8.8/x')).resolves.toBeUndefined();
  });

  it('refuses a host if any of its addresses is private, including IPv4-mapped IPv6', async () => {
    await expect(guard.checkUrl('http://10.0.0.7/x')).rejects.toThrow(
      /not on the allow-list \(TEST_ALLOWED_HOSTS\)/,
    );
    for (const url of [
      'https://mixed.example.com/x',
      'https://mapped.example.com/x',
      'http://127.0.0.1:3000/x',
      'http://[::1]/x',
      'http://169.254.169.254/latest',
      'http://100.64.0.1/x',
      'http://[fd00::1]/x',
      'http://[fe80::1]/x',
      'http://224.0.0.1/x',
    ]) {
      await expect(guard.checkUrl(url), url).rejects.toBeInstanceOf(BlockedAddressError);
    }
    await expect(guard.checkUrl('https://nowhere.example/x')).rejects.toThrow('does not resolve');
    await expect(guard.checkUrl('file:///etc/passwd')).rejects.toThrow('use http or https');
    await expect(guard.checkUrl('https://user:pw@hooks.example.com/')).rejects.toThrow('credentials');
  });

  it('lets the allow-list name addresses, ranges and hosts', async () => {
    const allowing = createAddressGuard({
      resolver,
      setting: 'TEST_ALLOWED_HOSTS',
      allowList: ['127.0.0.1', '10.20.0.0/16', 'mixed.example.com'],
    });
    await expect(allowing.checkUrl('http://127.0.0.1:3000/x')).resolves.toBeUndefined();
    await expect(allowing.checkUrl('http://intranet.corp/x')).resolves.toBeUndefined();
    await expect(allowing.checkUrl('http://mixed.example.com/x')).resolves.toBeUndefined();
    await expect(allowing.checkUrl('http://mapped.example.com/x')).resolves.toBeUndefined();
    await expect(allowing.checkUrl('http://10.21.0.1/x')).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(allowing.checkUrl('http://127.0.0.2/x')).rejects.toBeInstanceOf(BlockedAddressError);
  });
});

describe('the guard as a node:http lookup', () => {
  it('connects to the checked address only, and refuses a name that resolves to a private one', async () => {
    let requests = 0;
    const server = http.createServer((_, response) => {
      requests += 1;
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const get = (guard: ReturnType<typeof createAddressGuard>) =>
      new Promise<number>((resolve, reject) => {
        const request = http.get(
          `http://rebind.example.com:${port}/`,
          { lookup: guard.lookup, agent: false },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
      });
    try {
      await expect(
        get(createAddressGuard({ resolver, setting: 'TEST_ALLOWED_HOSTS' })),
      ).rejects.toBeInstanceOf(BlockedAddressError);
      expect(requests).toBe(0);
      await expect(
        get(createAddressGuard({ resolver, setting: 'TEST_ALLOWED_HOSTS', allowList: ['127.0.0.1'] })),
      ).resolves.toBe(200);
      expect(requests).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('isPublicAddress', () => {
  it('accepts public addresses and refuses the host network, metadata and mapped forms', () => {
    for (const address of ['8.8.8.8', '2606:4700::1111']) expect(isPublicAddress(address)).toBe(true);
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not an address',
    ])
      expect(isPublicAddress(address), address).toBe(false);
  });
});
