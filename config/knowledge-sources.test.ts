import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './api.ts';
import { zendeskGuideSettingsOf } from './knowledge-sources.ts';
import { ConfigError } from './load.ts';
import { loadWorkerConfig } from './worker.ts';

describe('Zendesk Guide settings', () => {
  it('are off unless a subdomain or base URL is set', () => {
    expect(zendeskGuideSettingsOf(loadApiConfig({}))).toBeNull();
    expect(zendeskGuideSettingsOf(loadApiConfig({ ZENDESK_GUIDE_EMAIL: 'bot@lumen.example' }))).toBeNull();
  });

  it('map the environment for the API and the workers alike', () => {
    const environment = {
      DATABASE_URL: 'postgres://localhost/switchboard',
      REDIS_URL: 'redis://localhost:6379',
      ZENDESK_GUIDE_SUBDOMAIN: 'lumen',
      ZENDESK_GUIDE_LOCALE: 'en-US',
      ZENDESK_GUIDE_SYNC_INTERVAL_MINUTES: '15',
      ZENDESK_GUIDE_EMAIL: 'bot@lumen.example',
      ZENDESK_GUIDE_API_TOKEN: 'token',
    };
    const expected = {
      subdomain: 'lumen',
      locale: 'en-us',
      intervalMs: 900_000,
      email: 'bot@lumen.example',
      apiToken: 'token',
    };
    expect(zendeskGuideSettingsOf(loadApiConfig(environment))).toEqual(expected);
    expect(zendeskGuideSettingsOf(loadWorkerConfig(environment))).toEqual(expected);
    expect(zendeskGuideSettingsOf(loadApiConfig({ ZENDESK_GUIDE_SUBDOMAIN: 'lumen' }))?.intervalMs).toBe(
      3_600_000,
    );
  });

  it('refuse malformed values, never echoing a token', () => {
    expect(() => loadApiConfig({ ZENDESK_GUIDE_SUBDOMAIN: 'lumen.zendesk.com' })).toThrow(ConfigError);
    expect(() => loadApiConfig({ ZENDESK_GUIDE_SYNC_INTERVAL_MINUTES: '1' })).toThrow(
      /ZENDESK_GUIDE_SYNC_INTERVAL_MINUTES/,
    );
    expect(() => loadApiConfig({ ZENDESK_GUIDE_LOCALE: 'english please' })).toThrow(/ZENDESK_GUIDE_LOCALE/);
  });
});
