import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './api.ts';
import { ConfigError } from './load.ts';
import { loadWorkerConfig } from './worker.ts';

const worker = { DATABASE_URL: 'postgres://sb@127.0.0.1:5432/sb', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('TRANSCRIPT_RETENTION_DAYS', () => {
  it('is unset by default (keep transcripts forever), empty counts as unset', () => {
    expect(loadApiConfig({}).TRANSCRIPT_RETENTION_DAYS).toBeUndefined();
    expect(loadApiConfig({ TRANSCRIPT_RETENTION_DAYS: '' }).TRANSCRIPT_RETENTION_DAYS).toBeUndefined();
    expect(loadWorkerConfig(worker).TRANSCRIPT_RETENTION_DAYS).toBeUndefined();
  });

  it('takes a whole number of days, for the API and the workers alike', () => {
    expect(loadApiConfig({ TRANSCRIPT_RETENTION_DAYS: '90' }).TRANSCRIPT_RETENTION_DAYS).toBe(90);
    expect(loadWorkerConfig({ ...worker, TRANSCRIPT_RETENTION_DAYS: '365' }).TRANSCRIPT_RETENTION_DAYS).toBe(
      365,
    );
  });

  it.each(['0', '-5', '1.5', 'forever', '40000'])('refuses %j in one line naming the variable', (value) => {
    expect(() => loadApiConfig({ TRANSCRIPT_RETENTION_DAYS: value })).toThrow(ConfigError);
    expect(() => loadApiConfig({ TRANSCRIPT_RETENTION_DAYS: value })).toThrow(/TRANSCRIPT_RETENTION_DAYS/);
  });
});
