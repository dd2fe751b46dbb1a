import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { outboundWebhookSettingsOf, webhookSettings } from './webhooks.ts';

const schema = z.object(webhookSettings);

describe('webhookSettings', () => {
  it('reads the allow-list as IPs, ranges and host names, with delivery defaults', () => {
    const config = schema.parse({ WEBHOOK_ALLOWED_HOSTS: ' 127.0.0.1, 10.20.0.0/16 ,n8n.internal,' });
    expect(outboundWebhookSettingsOf(config)).toEqual({
      allowList: ['127.0.0.1', '10.20.0.0/16', 'n8n.internal'],
      maxAttempts: 8,
      backoffMs: 30_000,
      timeoutMs: 10_000,
      eventRetentionDays: 30,
    });
    expect(schema.parse({}).WEBHOOK_ALLOWED_HOSTS).toEqual([]);
  });

  it('fails at boot on a range that is not one', () => {
    const result = schema.safeParse({ WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/99' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('CIDR');
    expect(schema.safeParse({ WEBHOOK_MAX_ATTEMPTS: '0' }).success).toBe(false);
    expect(schema.safeParse({ WEBHOOK_EVENT_RETENTION_DAYS: '0' }).success).toBe(false);
  });
});
