import { describe, expect, it } from 'vitest';
import type { AnyOperationDefinition, CallerSession, ConnectorDefinition } from './definition.ts';
import { decide, fieldRulesFor, parseConnectorPolicy } from './policy.ts';
import { validatePolicy } from './policy-cache.ts';

const world = { auto_refund_limit_cents: 20_000, refund_window_days: 30 };
const session = (tier: string): CallerSession => ({
  conversationId: 'c1',
  actor: 'agent',
  customer: { contactId: 'ct_1', accountId: 'acc_1', verified: true, tier },
});

const policy = parseConnectorPolicy('billing', {
  allowedOperations: ['refund_payment', 'cancel_subscription', 'get_invoice'],
  segmentRules: [{ tiers: ['enterprise'], operations: ['cancel_subscription'], action: 'human_only' }],
  actionLimits: [
    { operation: 'refund_payment', field: 'amount_cents', max: { policy: 'auto_refund_limit_cents' } },
    { operation: 'get_invoice', field: 'copies', max: 3 },
  ],
});

describe('decide', () => {
  it('refuses operations outside the allow-list', () => {
    expect(decide(policy, 'delete_account', {}, session('pro'), world, false)).toMatchObject({
      action: 'forbidden',
    });
  });

  it('sends a matching segment to a human, and only that segment', () => {
    expect(decide(policy, 'cancel_subscription', {}, session('enterprise'), world, false)).toEqual({
      action: 'human_required',
      rule: 'tier enterprise: cancel_subscription is handled by a person',
    });
    expect(decide(policy, 'cancel_subscription', {}, session('pro'), world, false)).toEqual({
      action: 'allow',
    });
  });

  it('requires approval above a limit read from the world policy, not at it', () => {
    expect(decide(policy, 'refund_payment', { amount_cents: 20_001 }, session('pro'), world, false)).toEqual({
      action: 'approval_required',
      reason: 'amount_cents 20001 > auto_refund_limit_cents 20000',
    });
    expect(decide(policy, 'refund_payment', { amount_cents: 20_000 }, session('pro'), world, false)).toEqual({
      action: 'allow',
    });
    expect(decide(policy, 'get_invoice', { copies: 4 }, session('pro'), world, false)).toMatchObject({
      reason: 'copies 4 > limit 3',
    });
  });

  it('fails closed when a limit names a policy number nobody set (core defaults none)', () => {
    expect(decide(policy, 'refund_payment', { amount_cents: 1 }, session('pro'), {}, false)).toEqual({
      action: 'approval_required',
      reason: 'amount_cents 1: policy number auto_refund_limit_cents is not set',
    });
    expect(() =>
      parseConnectorPolicy('billing', {
        actionLimits: [
          { operation: 'refund_payment', field: 'amount_cents', max: { policy: 'Refund Limit' } },
        ],
      }),
    ).toThrow(/policy number name/);
  });

  it('skips limits for an approved action but still applies segment rules', () => {
    expect(decide(policy, 'refund_payment', { amount_cents: 90_000 }, session('pro'), world, true)).toEqual({
      action: 'allow',
    });
    expect(decide(policy, 'cancel_subscription', {}, session('enterprise'), world, true)).toMatchObject({
      action: 'human_required',
    });
  });
});

describe('parseConnectorPolicy', () => {
  it('names the connector and the bad field', () => {
    expect(() =>
      parseConnectorPolicy('crm', { fields: { get_contact: { allow: ['contacts[0]'] } } }),
    ).toThrow(/Invalid policy for connector "crm" at fields.get_contact.allow.0/);
    expect(() =>
      parseConnectorPolicy('crm', {
        actionLimits: [{ operation: 'x', field: 'a', max: { policy: 'No such number' } }],
      }),
    ).toThrow(/crm/);
    // Against the connector: a limit may only name a policy number the connector declares.
    const crm: ConnectorDefinition = {
      id: 'crm',
      title: 'CRM',
      grantedScopes: [],
      check: async () => ({ ok: true, detail: '' }),
      operations: { x: {} as AnyOperationDefinition },
      policyNumbers: { note_limit: 3 },
    };
    const connectors = new Map([['crm', crm]]);
    expect(() =>
      validatePolicy(connectors, 'crm', {
        actionLimits: [{ operation: 'x', field: 'a', max: { policy: 'nope' } }],
      }),
    ).toThrow('Invalid policy for connector "crm": unknown policy number(s) nope; declared: note_limit');
    expect(
      validatePolicy(connectors, 'crm', {
        actionLimits: [{ operation: 'x', field: 'a', max: { policy: 'note_limit' } }],
      }).actionLimits,
    ).toHaveLength(1);
    expect(() => parseConnectorPolicy('crm', { typo: true })).toThrow(/crm/);
  });

  it('merges the connector-wide redactions with an operation’s own rules', () => {
    const parsed = parseConnectorPolicy('crm', {
      fields: { '*': { redact: ['ssn'] }, get_contact: { allow: ['id', 'email'], redact: ['email'] } },
    });
    expect(fieldRulesFor(parsed, 'get_contact')).toEqual({
      allow: ['id', 'email'],
      redact: ['ssn', 'email'],
    });
    expect(fieldRulesFor(parsed, 'other')).toEqual({ redact: ['ssn'] });
    expect(fieldRulesFor(parseConnectorPolicy('crm', {}), 'other')).toBeUndefined();
  });
});
