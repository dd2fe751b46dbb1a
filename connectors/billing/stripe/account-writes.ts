import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import { invoiceRefOf, isoOf, toSubscriptionView } from './mapping.ts';
import { chargeOwnership, type StripeOperationDeps, subscriptionOwnership } from './ownership.ts';
import { invoiceOfChargeById } from './reads.ts';

const daySeconds = 24 * 60 * 60;

/**
 * `billing.cancel_subscription`: `subscriptions.update({ cancel_at_period_end: true })` at the end of
 * the period, `subscriptions.cancel` now. What is already cancelled that way is reported unchanged.
 */
export const createCancelSubscription = (deps: StripeOperationDeps) =>
  implement(billing.cancelSubscription, {
    scopes: ['billing.write'],
    timeoutMs: 15_000,
    ownership: subscriptionOwnership(deps),
    async run(input, context) {
      const before = await deps.transport.retrieveSubscription(input.subscription_id);
      await deps.binding.requireOwn(context.session, before.customer, `subscription ${before.id}`);
      const accountId = context.session.customer!.accountId;
      const view = toSubscriptionView(before, accountId);
      const alreadyCancelled =
        view.status === 'cancelled' || (input.at_period_end && view.cancel_at_period_end);
      const after = alreadyCancelled
        ? before
        : input.at_period_end
          ? (
              await deps.transport.updateSubscription(
                before.id,
                { cancel_at_period_end: true },
                context.idempotencyKey,
              )
            ).value
          : await deps.transport.cancelSubscription(before.id, context.idempotencyKey);
      const current = toSubscriptionView(after, accountId);
      context.signal.throwIfAborted();
      return {
        subscription_id: current.id,
        status: current.status,
        cancel_at_period_end: current.cancel_at_period_end,
        cancelled_at: current.cancelled_at,
        period_end: current.period_end,
        ends_on: current.cancelled_at ? current.cancelled_at.slice(0, 10) : current.period_end,
        already_cancelled: alreadyCancelled,
      };
    },
  });

/**
 * `billing.retry_payment` for a failed invoice charge. Stripe cannot schedule one attempt for later:
 * when its automatic retries already have one planned (`invoice.next_payment_attempt`) that attempt
 * is reported; otherwise the invoice is paid now with `invoices.pay` (card on file) and the attempt
 * is reported for now. A declined attempt fails the call (`invalid_input`, the decline code).
 */
export const createRetryPayment = (deps: StripeOperationDeps) =>
  implement(billing.retryPayment, {
    scopes: ['billing.write'],
    timeoutMs: 20_000,
    ownership: chargeOwnership(deps),
    async run(input, context) {
      const charge = await deps.transport.retrieveCharge(input.payment_id);
      await deps.binding.requireOwn(context.session, charge.customer, `payment ${charge.id}`);
      if (charge.status !== 'failed') {
        throw new ConnectorError(
          'invalid_input',
          `Payment ${charge.id} is ${charge.status}; only failed payments can be retried.`,
        );
      }
      const invoice = await deps.transport.retrieveInvoice(await invoiceOfChargeById(deps, charge));
      if (invoice.status === 'paid') {
        throw new ConnectorError(
          'invalid_input',
          `Invoice ${invoiceRefOf(invoice)} has been paid since; no retry is needed.`,
        );
      }
      const nowSeconds = Math.floor(context.now().getTime() / 1000);
      if (invoice.next_payment_attempt && invoice.next_payment_attempt > nowSeconds) {
        return {
          retry_id: `${invoice.id}@${invoice.next_payment_attempt}`,
          payment_id: charge.id,
          scheduled_for: isoOf(invoice.next_payment_attempt),
          status: 'scheduled' as const,
          already_scheduled: true,
        };
      }
      const { value, replayed } = await deps.transport.payInvoice(invoice.id, context.idempotencyKey);
      context.signal.throwIfAborted();
      const attempt = value.payments?.data.at(-1);
      return {
        retry_id: attempt?.id ?? `${value.id}@${nowSeconds}`,
        payment_id: charge.id,
        scheduled_for: context.now().toISOString(),
        status: 'scheduled' as const,
        already_scheduled: replayed,
      };
    },
  });

/**
 * `billing.send_payment_link`: a Stripe customer portal session that opens on "update payment
 * method". Portal sessions are short-lived; `after_expiration.customer_login` lets the customer
 * recover an expired one by confirming their email until the end of the next UTC day (24 to 48
 * hours). The deadline follows from the day, not the second, so a re-sent request under the same
 * (per-day) idempotency key carries the same parameters and Stripe replays the same session.
 */
export const createSendPaymentLink = (deps: StripeOperationDeps & { returnUrl?: string }) =>
  implement(billing.sendPaymentLink, {
    scopes: ['billing.write'],
    timeoutMs: 15_000,
    async run(_input, context) {
      const customer = await deps.binding.customerFor(context.session);
      const today = Math.floor(context.now().getTime() / 1000 / daySeconds) * daySeconds;
      const expiresAt = today + 2 * daySeconds;
      const { value, replayed } = await deps.transport.createPortalSession(
        {
          customer,
          ...(deps.returnUrl ? { return_url: deps.returnUrl } : {}),
          flow_data: { type: 'payment_method_update' },
          after_expiration: { type: 'customer_login', customer_login: { expires_at: expiresAt } },
        },
        context.idempotencyKey,
      );
      const expires = value.after_expiration?.customer_login?.expires_at ?? value.created + 5 * 60;
      return { link_id: value.id, url: value.url, expires_at: isoOf(expires), reused: replayed };
    },
  });
