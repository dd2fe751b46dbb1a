import type { BillingPolicyNumbers } from './billing/policy.ts';
import type { CallerSession, OperationContext, OperationDefinition } from './core/definition.ts';

/**
 * Test helpers for the built-in CRM, billing and ticketing connectors: sessions, operation
 * contexts with a fixed clock, and a way to call an operation as the pipeline would (input parsed,
 * output checked) without the pipeline.
 */

/** The published policy numbers (docs/product.md, "Policy numbers"). */
export const testPolicy: BillingPolicyNumbers = { auto_refund_limit_cents: 20_000, refund_window_days: 30 };

/** A verified customer's session (or another actor's, with `actor`). */
export function customerSession(
  contactId: string,
  accountId: string,
  options: {
    verified?: boolean;
    tier?: string;
    actor?: CallerSession['actor'];
    conversationId?: string;
  } = {},
): CallerSession {
  return {
    conversationId: options.conversationId ?? 'conv_test',
    actor: options.actor ?? 'agent',
    customer: {
      contactId,
      accountId,
      verified: options.verified ?? true,
      ...(options.tier ? { tier: options.tier } : {}),
    },
  };
}

/** The API's identity-resolution session: no customer yet. */
export const systemSession: CallerSession = { conversationId: null, actor: 'system', customer: null };

/** An operation context with a fixed clock. */
export function testContext(
  session: CallerSession,
  now: string | Date,
  options: { policy?: Partial<BillingPolicyNumbers>; signal?: AbortSignal } = {},
): OperationContext {
  const instant = new Date(now);
  return {
    session,
    now: () => new Date(instant),
    signal: options.signal ?? new AbortController().signal,
    policy: { ...testPolicy, ...options.policy },
  };
}

/** Calls an operation like the pipeline does: the raw input parsed by its schema, the output checked. */
export async function invoke<Input, Output>(
  operation: OperationDefinition<Input, Output>,
  rawInput: Record<string, unknown>,
  context: OperationContext,
): Promise<Output> {
  const input = operation.input.parse(rawInput);
  return operation.output.parse(await operation.run(input, context));
}

/** The rejection of a promise (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { kind?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { kind?: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
