import { describe, expect, it } from 'vitest';
import { webhookEventTypes as stored } from '../../db/webhook-events.ts';
import { subscriptionBodySchema, webhookEventDataSchemas, webhookEventTypes } from './outbound-webhooks.ts';

describe('outbound webhook contract', () => {
  it('lists the same events as the outbox, each with a payload schema', () => {
    expect([...webhookEventTypes]).toEqual([...stored]);
    expect(Object.keys(webhookEventDataSchemas).sort()).toEqual([...stored].sort());
  });

  it('refuses a subscription body with a secret, no events or a repeated event', () => {
    const url = 'https://hooks.example.com/x';
    expect(subscriptionBodySchema.safeParse({ url, events: ['action.executed'] }).success).toBe(true);
    expect(
      subscriptionBodySchema.safeParse({ url, events: ['action.executed'], secret: 'mine' }).success,
    ).toBe(false);
    expect(subscriptionBodySchema.safeParse({ url, events: [] }).success).toBe(false);
    expect(
      subscriptionBodySchema.safeParse({ url, events: ['action.executed', 'action.executed'] }).success,
    ).toBe(false);
    expect(
      subscriptionBodySchema.safeParse({ url: 'javascript:alert(1)', events: ['action.executed'] }).success,
    ).toBe(false);
  });
});
