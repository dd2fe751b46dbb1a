import { describe, expect, it } from 'vitest';
import { mcpAddressGuard } from './address-guard.ts';

describe('the address rules of URL MCP servers', () => {
  it('refuses a private literal unless the allow-list names the host', async () => {
    await expect(mcpAddressGuard([]).assertPublicUrl(new URL('http://10.0.0.7/mcp'))).rejects.toMatchObject({
      kind: 'forbidden',
    });
    await expect(mcpAddressGuard([]).assertPublicUrl(new URL('http://[::1]:8080/mcp'))).rejects.toMatchObject(
      {
        kind: 'forbidden',
      },
    );
    await expect(
      mcpAddressGuard(['10.0.0.7']).assertPublicUrl(new URL('http://10.0.0.7/mcp')),
    ).resolves.toBeUndefined();
    await expect(mcpAddressGuard([]).assertPublicUrl(new URL('http://8.8.8.8/mcp'))).resolves.toBeUndefined();
  });

  it('resolves names and refuses one that points at the host itself', async () => {
    await expect(mcpAddressGuard([]).assertPublicUrl(new URL('http://localhost:9/mcp'))).rejects.toThrow(
      /localhost resolves to/,
    );
    await expect(
      mcpAddressGuard(['localhost']).assertPublicUrl(new URL('http://localhost:9/mcp')),
    ).resolves.toBeUndefined();
  });

  it('refuses other protocols', async () => {
    await expect(mcpAddressGuard([]).assertPublicUrl(new URL('file:///etc/passwd'))).rejects.toMatchObject({
      kind: 'forbidden',
    });
  });
});
