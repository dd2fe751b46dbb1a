import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import type { PlanChangeQuote } from '../plan-change-quote.ts';
import { prorate } from '../proration.ts';
import { type PlanId, utcDate } from '../schemas.ts';
import { dateOf, invoiceRefOf, itemOf, planOfPrice, toSubscriptionView } from './mapping.ts';
import { type StripeOperationDeps, subscriptionOwnership } from './ownership.ts';
import { type StripeInvoice, type StripeSubscription, stripeInvoice } from './vendor-schemas.ts';

/** The target price and what Stripe says the change costs now (its proration, to the second). */
async function quote(deps: StripeOperationDeps, subscription: StripeSubscription, plan: PlanId, now: Date) {
  const view = toSubscriptionView(subscription, '');
  if (view.status === 'cancelled') {
    throw new ConnectorError(
      'invalid_input',
      `Subscription ${subscription.id} is cancelled; its plan cannot change.`,
    );
  }
  if (view.plan.id === plan) {
    throw new ConnectorError(
      'invalid_input',
      `Subscription ${subscription.id} is already on the ${view.plan.name} plan.`,
    );
  }
  const price = plan === 'enterprise' ? null : await deps.transport.findPriceByLookupKey(plan);
  if (view.plan.price_cents === null || plan === 'enterprise') {
    throw new ConnectorError(
      'invalid_input',
      'Enterprise plans are sold by contract: changes to or from Enterprise go through the account owner.',
    );
  }
  if (!price || price.unit_amount == null) {
    throw new ConnectorError('permanent', `Stripe has no active price with lookup_key ${plan}`);
  }
  const item = itemOf(subscription);
  const prorationDate = Math.floor(now.getTime() / 1000);
  // Preview the very update change_plan makes: https://docs.stripe.com/billing/subscriptions/prorations
  const preview = await deps.transport.previewInvoice({
    customer: subscription.customer,
    subscription: subscription.id,
    subscription_details: {
      items: [{ id: item.id, price: price.id }],
      proration_behavior: 'always_invoice',
      proration_date: prorationDate,
    },
  });
  const prorated = (preview.lines?.data ?? [])
    .filter((line) => line.parent?.subscription_item_details?.proration === true)
    .reduce((sum, line) => sum + line.amount, 0);
  // The day counts are shown to the customer; the amount is Stripe's.
  const days = prorate({
    fromPriceCents: view.plan.price_cents,
    toPriceCents: price.unit_amount,
    periodStart: view.period_start,
    periodEnd: view.period_end,
    today: utcDate(now),
  });
  const result: PlanChangeQuote = {
    subscription_id: subscription.id,
    from_plan: view.plan.id,
    to_plan: plan,
    direction: price.unit_amount > view.plan.price_cents ? 'upgrade' : 'downgrade',
    current_price_cents: view.plan.price_cents,
    new_price_cents: price.unit_amount,
    days_in_period: days.days_in_period,
    days_remaining: days.days_remaining,
    amount_due_now_cents: Math.max(0, prorated),
    credit_cents: Math.max(0, -prorated),
    effective_on: utcDate(now),
    period_end: view.period_end,
  };
  return { quote: result, price, item, prorationDate };
}

/** `billing.preview_plan_change`: Stripe's invoice preview of the change (`invoices.createPreview`). */
export const createPreviewPlanChange = (deps: StripeOperationDeps) =>
  implement(billing.previewPlanChange, {
    scopes: ['billing.read'],
    timeoutMs: 10_000,
    ownership: subscriptionOwnership(deps),
    async run(input, context) {
      const subscription = await deps.transport.retrieveSubscription(input.subscription_id);
      await deps.binding.requireOwn(
        context.session,
        subscription.customer,
        `subscription ${subscription.id}`,
      );
      return (await quote(deps, subscription, input.plan, context.now())).quote;
    },
  });

/**
 * `billing.change_plan`: `subscriptions.update` with the new price and `proration_behavior:
 * always_invoice` — Stripe invoices the proration at once and charges the card (upgrade) or credits
 * the negative amount to the customer balance (downgrade). Under the call's Idempotency-Key a
 * re-sent change is Stripe's replay (`already_applied: true`).
 */
export const createChangePlan = (deps: StripeOperationDeps) =>
  implement(billing.changePlan, {
    scopes: ['billing.write'],
    timeoutMs: 20_000,
    ownership: subscriptionOwnership(deps),
    async run(input, context) {
      const subscription = await deps.transport.retrieveSubscription(input.subscription_id);
      await deps.binding.requireOwn(
        context.session,
        subscription.customer,
        `subscription ${subscription.id}`,
      );
      const item = itemOf(subscription);
      // A re-sent change finds the plan already changed: it sends the same update under the same key,
      // which Stripe answers with its stored response. Every parameter is therefore state-free (no
      // proration_date: Stripe prorates to the second of the update).
      const resent = context.idempotencyKey !== undefined && planOfPrice(item.price) === input.plan;
      const planned = resent ? null : await quote(deps, subscription, input.plan, context.now());
      const { value, replayed } = await deps.transport.updateSubscription(
        subscription.id,
        {
          items: [{ id: item.id, price: planned ? planned.price.id : item.price.id }],
          proration_behavior: 'always_invoice',
          payment_behavior: 'error_if_incomplete',
          expand: ['latest_invoice.payments'],
        },
        context.idempotencyKey,
      );
      if (!replayed && !planned) {
        throw new ConnectorError(
          'invalid_input',
          `Subscription ${subscription.id} is already on the ${input.plan} plan.`,
        );
      }
      const invoice = stripeInvoice.nullable().safeParse(value.latest_invoice ?? null);
      if (!invoice.success || !invoice.data) {
        throw new ConnectorError(
          'permanent',
          'Stripe did not return the proration invoice of the plan change',
        );
      }
      const total = invoice.data.total;
      const intent = invoice.data.payments?.data[0]?.payment.payment_intent;
      const charge =
        total > 0 && intent
          ? (await deps.transport.listCharges({ payment_intent: intent })).find(
              (c) => c.status === 'succeeded',
            )
          : undefined;
      const fromPlan = planned?.quote.from_plan ?? (await previousPlan(deps, invoice.data));
      const toPrice = itemOf(value).price;
      context.signal.throwIfAborted();
      return {
        plan_change_id: invoice.data.id,
        subscription_id: value.id,
        from_plan: fromPlan,
        to_plan: planOfPrice(toPrice),
        direction: planned?.quote.direction ?? (total >= 0 ? 'upgrade' : 'downgrade'),
        amount_charged_cents: Math.max(0, total),
        credit_cents: Math.max(0, -total),
        invoice_id: total > 0 ? invoiceRefOf(invoice.data) : null,
        payment_id: charge?.id ?? null,
        credit_id: total < 0 ? invoice.data.id : null,
        effective_on: dateOf(invoice.data.created),
        already_applied: replayed,
      };
    },
  });

/** The plan a replayed change left: the price of the proration invoice's credit line ("unused time on …"). */
async function previousPlan(deps: StripeOperationDeps, invoice: StripeInvoice): Promise<PlanId> {
  const credit = invoice.lines?.data.find(
    (line) => line.amount < 0 && line.parent?.subscription_item_details?.proration === true,
  );
  const priceId = credit?.pricing?.price_details?.price;
  if (!priceId) throw new ConnectorError('permanent', `Stripe invoice ${invoice.id} names no previous price`);
  return planOfPrice(await deps.transport.retrievePrice(priceId));
}
