import { describe, expect, it } from 'vitest';
import { ConfigError } from './load.ts';
import { loadWorkerConfig } from './worker.ts';

const required = { DATABASE_URL: 'postgres://sb@127.0.0.1:5432/sb', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('loadWorkerConfig', () => {
  it('applies the defaults around the two required URLs', () => {
    expect(loadWorkerConfig(required)).toMatchObject({
      ...required,
      REDIS_PREFIX: 'switchboard',
      WORKER_CONCURRENCY: 2,
      WORKER_SHUTDOWN_GRACE_MS: 30_000,
      WORKER_LOCK_DURATION_MS: 10_000,
      WORKER_STALLED_INTERVAL_MS: 5_000,
      LOG_LEVEL: 'info',
    });
  });

  it('refuses to start without Redis, saying why in one line', () => {
    expect(() => loadWorkerConfig({ DATABASE_URL: required.DATABASE_URL })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ DATABASE_URL: required.DATABASE_URL })).toThrow(
      /^Configuration error: REDIS_URL must be a redis:\/\/ URL: `npm run worker` takes jobs from BullMQ on Redis \(it is not set\)/,
    );
  });

  it('refuses the embedded database, which only one process can open', () => {
    expect(() => loadWorkerConfig({ REDIS_URL: required.REDIS_URL })).toThrow(/DATABASE_URL .*one process/);
  });

  it('rejects a bad concurrency', () => {
    expect(() => loadWorkerConfig({ ...required, WORKER_CONCURRENCY: '0' })).toThrow(/WORKER_CONCURRENCY/);
  });

  it('takes the Authentication-Results name the API uses, so a worker records mail as the API would', () => {
    expect(loadWorkerConfig({ ...required, INBOUND_SMTP_AUTHSERV_ID: 'mx.lumen.example' })).toMatchObject({
      INBOUND_SMTP_AUTHSERV_ID: 'mx.lumen.example',
    });
    expect(() => loadWorkerConfig({ ...required, INBOUND_SMTP_AUTHSERV_ID: 'x'.repeat(256) })).toThrow(
      /INBOUND_SMTP_AUTHSERV_ID/,
    );
  });
});
