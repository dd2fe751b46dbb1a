import type { EscalationPacket } from './dependencies.ts';

export type EscalationPriority = 'low' | 'normal' | 'high' | 'urgent';

const rank: Record<EscalationPriority, number> = { low: 0, normal: 1, high: 2, urgent: 3 };

/** The connectors whose failures touch the customer's money (refunds, invoices, payments). */
const paymentConnectors = new Set(['billing']);

/** Account tiers whose hand-overs never wait behind the normal queue. */
const priorityTiers = new Set(['enterprise']);

/**
 * The priority an escalation is opened with, from its packet (docs/product.md, "Priority"): never
 * below what the node that escalates asked for, raised to
 * - `urgent` for an angry customer (`negative_sentiment`) or an approval of an amount above the
 *   auto-refund limit — the customer waits on a person for their money;
 * - `high` for a failure that touched payments (a billing call failed, or the pending write is a
 *   billing write), or a customer on an enterprise account.
 * Pure, so the console's ordering can be explained and tested without a database.
 */
export function escalationPriority(
  packet: Pick<EscalationPacket, 'reason' | 'identity' | 'calls' | 'pendingAction'>,
  requested: EscalationPriority,
  policy: { auto_refund_limit_cents: number },
): EscalationPriority {
  let priority = requested;
  const raise = (to: EscalationPriority) => {
    if (rank[to] > rank[priority]) priority = to;
  };
  if (packet.reason === 'negative_sentiment') raise('urgent');
  const amount = packet.pendingAction?.input.amount_cents;
  if (
    packet.reason === 'approval_required' &&
    typeof amount === 'number' &&
    amount > policy.auto_refund_limit_cents
  )
    raise('urgent');
  const paymentFailed = packet.calls.some(
    (call) => paymentConnectors.has(call.connector) && call.status === 'error',
  );
  const paymentPending =
    packet.reason === 'connector_failure' &&
    packet.pendingAction !== null &&
    paymentConnectors.has(packet.pendingAction.connector);
  if (paymentFailed || paymentPending) raise('high');
  if (packet.identity.tier && priorityTiers.has(packet.identity.tier)) raise('high');
  return priority;
}
