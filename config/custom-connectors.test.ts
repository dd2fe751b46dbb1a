import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './api.ts';

describe('CUSTOM_CONNECTOR_ALLOWED_HOSTS', () => {
  it('is none by default, and a list of hosts when set', () => {
    expect(loadApiConfig({}).CUSTOM_CONNECTOR_ALLOWED_HOSTS).toEqual([]);
    expect(
      loadApiConfig({ CUSTOM_CONNECTOR_ALLOWED_HOSTS: ' Orders.Intranet.example, 10.0.4.12 ,[::1]' })
        .CUSTOM_CONNECTOR_ALLOWED_HOSTS,
    ).toEqual(['orders.intranet.example', '10.0.4.12', '::1']);
  });

  it('refuses a URL where a host is expected', () => {
    expect(() => loadApiConfig({ CUSTOM_CONNECTOR_ALLOWED_HOSTS: 'http://orders.example/' })).toThrow(
      /CUSTOM_CONNECTOR_ALLOWED_HOSTS/,
    );
  });
});
