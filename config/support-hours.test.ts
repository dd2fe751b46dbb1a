import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './api.ts';
import { ConfigError } from './load.ts';
import { supportHoursOf } from './support-hours.ts';

describe('SUPPORT_REPLY_WITHIN_MINUTES and SUPPORT_HOURS', () => {
  it('are unset by default (the chat promises nothing), empty counts as unset', () => {
    expect(supportHoursOf(loadApiConfig({}))).toEqual({});
    expect(supportHoursOf(loadApiConfig({ SUPPORT_REPLY_WITHIN_MINUTES: '', SUPPORT_HOURS: '  ' }))).toEqual(
      {},
    );
  });

  it('reads a reply time in minutes and the hours as plain text', () => {
    expect(
      supportHoursOf(
        loadApiConfig({ SUPPORT_REPLY_WITHIN_MINUTES: '120', SUPPORT_HOURS: ' Mon–Fri 9:00–17:00 CET ' }),
      ),
    ).toEqual({ replyWithinMinutes: 120, hours: 'Mon–Fri 9:00–17:00 CET' });
  });

  it.each(['0', '-5', '1.5', 'soon', '50000'])('refuses a reply time of %j, naming the variable', (value) => {
    expect(() => loadApiConfig({ SUPPORT_REPLY_WITHIN_MINUTES: value })).toThrow(ConfigError);
    expect(() => loadApiConfig({ SUPPORT_REPLY_WITHIN_MINUTES: value })).toThrow(
      /SUPPORT_REPLY_WITHIN_MINUTES/,
    );
  });

  it.each(['<b>9–5</b>', 'x'.repeat(121)])('refuses hours %j, naming the variable', (value) => {
    expect(() => loadApiConfig({ SUPPORT_HOURS: value })).toThrow(/SUPPORT_HOURS/);
  });
});
