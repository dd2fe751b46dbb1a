import type { OperationContext } from '../core/definition.ts';

/** A small world in the eval world format (docs/evals.md): Maya (acc_1) and Omar (acc_2). */
export const emailTestWorld = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_2', name: 'Northwind', tier: 'starter', region: 'NA' },
  ],
  contacts: [
    {
      id: 'ct_1',
      account: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      timezone: 'Europe/Berlin',
    },
    {
      id: 'ct_2',
      account: 'acc_2',
      name: 'Omar Haddad',
      email: 'omar@northwind.example',
      timezone: 'America/New_York',
    },
  ],
};

/** An operation context as the pipeline builds it, for Maya unless told otherwise. */
export function emailContext(
  options: {
    idempotencyKey?: string;
    conversationId?: string | null;
    verified?: boolean;
    contactId?: string;
  } = {},
): OperationContext {
  return {
    session: {
      conversationId: options.conversationId === undefined ? 'conv_chat_1' : options.conversationId,
      actor: 'agent',
      customer: {
        contactId: options.contactId ?? 'ct_1',
        accountId: options.contactId === 'ct_2' ? 'acc_2' : 'acc_1',
        verified: options.verified ?? true,
      },
    },
    now: () => new Date('2026-11-20T09:00:00Z'),
    signal: new AbortController().signal,
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    policy: { auto_refund_limit_cents: 20000, refund_window_days: 30 },
  };
}
