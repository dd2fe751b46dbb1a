import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './api.ts';
import { ConfigError, paymentLinkBaseUrlOf } from './load.ts';

describe('loadApiConfig', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const config = loadApiConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATA_DIR: './.data',
      SEED_ON_FIRST_START: true,
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('treats empty values as unset', () => {
    expect(loadApiConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(3000);
  });

  it('fails with one line naming the setting and how to fix it', () => {
    expect(() => loadApiConfig({ PORT: 'abc' })).toThrow(ConfigError);
    try {
      loadApiConfig({ PORT: 'abc' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('PORT');
      expect(message).toContain('"abc"');
      expect(message).toContain('.env.example');
      expect(message.split('\n')).toHaveLength(1);
    }
  });

  it('rejects a DATABASE_URL that is not postgres and never echoes its password', () => {
    expect(() => loadApiConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' })).toThrow(/DATABASE_URL/);
    expect(() => loadApiConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' })).not.toThrow(/hunter2/);
  });

  it('rejects an unknown log level', () => {
    expect(() => loadApiConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});

describe('PUBLIC_BASE_URL', () => {
  it('makes the payment link under the public URL, keeping a path prefix', () => {
    expect(paymentLinkBaseUrlOf('https://support.example.com')).toBe(
      'https://support.example.com/billing/update-payment',
    );
    expect(paymentLinkBaseUrlOf('https://example.com/help/')).toBe(
      'https://example.com/help/billing/update-payment',
    );
    expect(paymentLinkBaseUrlOf('http://10.0.0.5:8080')).toBe('http://10.0.0.5:8080/billing/update-payment');
  });

  it('is refused when it is not an http(s) URL', () => {
    expect(() => loadApiConfig({ PUBLIC_BASE_URL: 'ftp://example.com' })).toThrow(/PUBLIC_BASE_URL/);
    expect(loadApiConfig({ PUBLIC_BASE_URL: 'https://support.example.com' }).PUBLIC_BASE_URL).toBe(
      'https://support.example.com',
    );
  });
});
