import { billing } from '../../connectors/contracts.ts';
import type { ContractInput } from '../../connectors/core/contract.ts';
import { ask, money, mustRead, outputOf, type Procedure, writeAction } from './procedure.ts';

const planNames: Record<string, string> = {
  free: 'Free',
  starter: 'Starter',
  pro: 'Pro',
  business: 'Business',
  enterprise: 'Enterprise',
};

/** Plan changed after the customer confirmed a proration preview. */
export const changePlanProcedure: Procedure = {
  intent: 'billing.change_plan',
  title: 'a plan change',
  verification: 'required',
  slots: {
    plan: {
      prompt:
        'Which plan would you like to move to — Free, Starter ($29/month), Pro ($99/month) or Business ($499/month)?',
    },
  },
  async plan(context) {
    if (!context.slots.plan) return ask(this, 'plan');
    // The slot holds a plan id (the reasoner's slot grammar); the contract's schema checks it again.
    const target = context.slots.plan as ContractInput<typeof billing.changePlan>['plan'];
    const { data: subscription } = await mustRead(context, billing.getSubscription, {});
    if (subscription.plan.id === 'enterprise' || target === 'enterprise') {
      return {
        kind: 'escalate',
        reason: 'policy_requires_human',
        priority: 'normal',
        text: 'Enterprise plans are changed through your account owner under your contract, so I have passed your request to them. They will get back to you shortly.',
        summary: `Customer asked to change plan from ${subscription.plan.id} to ${target}; Enterprise changes go through the account owner.`,
      };
    }
    if (subscription.plan.id === target) {
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `You're already on the ${planNames[target]} plan, so there's nothing to change.`,
      };
    }
    const { data: quote } = await mustRead(context, billing.previewPlanChange, {
      subscription_id: subscription.id,
      plan: target,
    });
    const proration =
      quote.direction === 'upgrade'
        ? `you'll be charged ${money(quote.amount_due_now_cents)} today for the remaining ${quote.days_remaining} days of this period, then ${money(quote.new_price_cents)}/month`
        : `you'll get a credit of ${money(quote.credit_cents)} on your next invoice for the remaining ${quote.days_remaining} days, then pay ${money(quote.new_price_cents)}/month`;
    return {
      kind: 'confirm',
      prompt: `Switching from ${planNames[subscription.plan.id]} to ${planNames[target]} takes effect today: ${proration}. Shall I make the change?`,
      actions: [
        writeAction(
          billing.changePlan,
          { subscription_id: subscription.id, plan: target },
          `change the subscription ${subscription.id} to ${planNames[target]}`,
        ),
      ],
    };
  },
  complete(_context, results) {
    const output = outputOf(results, billing.changePlan);
    const to = planNames[output.to_plan] ?? output.to_plan;
    const charged = output.amount_charged_cents;
    const credit = output.credit_cents;
    const money_line =
      charged > 0
        ? ` ${money(charged)} was charged for the rest of this period.`
        : credit > 0
          ? ` A credit of ${money(credit)} will be applied to your next invoice.`
          : '';
    return {
      text: `Done — your plan is now ${to}.${money_line} I've emailed you a confirmation.`,
      email: {
        template: 'plan_changed',
        variables: {
          from_plan: planNames[output.from_plan] ?? output.from_plan,
          to_plan: to,
          proration_cents: charged > 0 ? charged : -credit,
          effective_at: output.effective_on,
        },
      },
    };
  },
};
