import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import { refundWindowEnd } from '../payment-view.ts';
import { billingNumbers } from '../policy.ts';
import { utcDate } from '../schemas.ts';
import { invoiceRefOf, isoOf } from './mapping.ts';
import { chargeOwnership, type StripeOperationDeps } from './ownership.ts';
import { invoiceOfChargeById } from './reads.ts';

const stripeReasons = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);

/**
 * `billing.refund_payment` with Stripe's `refunds.create`. The call's idempotency key is sent as
 * Stripe's Idempotency-Key, so an attempt re-sent after a lost answer gets the refund Stripe already
 * made (replayed, `already_refunded: true`) instead of a second one. Refund window and amount are
 * checked first, as the built-in backend does; Stripe re-checks the amount itself. A charge another
 * request already refunded (Stripe refuses a second refund) answers with that refund, `earlier_refund`.
 */
export const createRefundPayment = (deps: StripeOperationDeps) =>
  implement(billing.refundPayment, {
    scopes: ['billing.refund'],
    timeoutMs: 15_000,
    ownership: chargeOwnership(deps),
    async run(input, context) {
      const charge = await deps.transport.retrieveCharge(input.payment_id);
      await deps.binding.requireOwn(context.session, charge.customer, `payment ${charge.id}`);
      const invoiceId = invoiceRefOf(
        await deps.transport.retrieveInvoice(await invoiceOfChargeById(deps, charge)),
      );
      if (charge.status !== 'succeeded') {
        throw new ConnectorError(
          'invalid_input',
          `Payment ${charge.id} is ${charge.status}, not a completed charge; there is nothing to refund.`,
        );
      }
      const created = new Date(charge.created * 1000);
      const windowEnd = refundWindowEnd(created, context.policy);
      if (context.now().getTime() > windowEnd.getTime()) {
        const days = billingNumbers(context.policy).refund_window_days;
        throw new ConnectorError(
          'invalid_input',
          `Payment ${charge.id} was made on ${utcDate(created)}, outside the ${days}-day refund window (it closed on ${utcDate(windowEnd)}). Refund policy: refunds within ${days} days of payment.`,
        );
      }
      const remaining = charge.amount - charge.amount_refunded;
      // Without a key nothing can be replayed: refuse what Stripe would refuse, in our words.
      if (input.amount_cents > remaining && !context.idempotencyKey)
        throw exceeds(input.amount_cents, charge);
      let result: Awaited<ReturnType<typeof deps.transport.createRefund>>;
      try {
        result = await deps.transport.createRefund(
          {
            charge: charge.id,
            amount: input.amount_cents,
            reason: (stripeReasons.has(input.reason) ? input.reason : 'requested_by_customer') as 'duplicate',
            metadata: { switchboard_reason: input.reason },
          },
          context.idempotencyKey,
        );
      } catch (error) {
        // Not a replay of our own refund: Stripe refused the amount (e.g. charge_already_refunded).
        if (
          error instanceof ConnectorError &&
          error.kind === 'invalid_input' &&
          input.amount_cents > remaining
        ) {
          // Another request refunded this amount already (another conversation, the dashboard):
          // report that refund as earlier, never claim a new one and never fail the customer's ask.
          const earlier = (await deps.transport.listRefunds(charge.id)).find(
            (candidate) =>
              candidate.amount === input.amount_cents &&
              candidate.status !== 'failed' &&
              candidate.status !== 'canceled',
          );
          if (!earlier) throw exceeds(input.amount_cents, charge);
          context.signal.throwIfAborted();
          return {
            refund_id: earlier.id,
            payment_id: charge.id,
            invoice_id: invoiceId,
            amount_cents: earlier.amount,
            payment_status:
              charge.amount_refunded >= charge.amount
                ? ('refunded' as const)
                : ('partially_refunded' as const),
            refunded_total_cents: charge.amount_refunded,
            remaining_refundable_cents: remaining,
            created_at: isoOf(earlier.created),
            already_refunded: true,
            earlier_refund: true,
          };
        }
        throw error;
      }
      const refund = result.value;
      // A replay's refund is already in the charge we read; a new one adds to it.
      const refundedTotal = result.replayed ? charge.amount_refunded : charge.amount_refunded + refund.amount;
      context.signal.throwIfAborted();
      return {
        refund_id: refund.id,
        payment_id: charge.id,
        invoice_id: invoiceId,
        amount_cents: refund.amount,
        payment_status:
          refundedTotal >= charge.amount ? ('refunded' as const) : ('partially_refunded' as const),
        refunded_total_cents: refundedTotal,
        remaining_refundable_cents: Math.max(0, charge.amount - refundedTotal),
        created_at: isoOf(refund.created),
        already_refunded: result.replayed,
        earlier_refund: false,
      };
    },
  });

const exceeds = (amount: number, charge: { id: string; amount: number; amount_refunded: number }) =>
  new ConnectorError(
    'invalid_input',
    charge.amount_refunded >= charge.amount
      ? `Payment ${charge.id} has already been fully refunded; there is nothing to refund.`
      : `Refund of ${amount} cents exceeds what is left to refund on payment ${charge.id} (${charge.amount - charge.amount_refunded} of ${charge.amount} cents).`,
  );
