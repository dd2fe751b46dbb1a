import type { Subscription } from './billing-change-plan.ts';
import { mustRead, type Procedure } from './procedure.ts';

/** Cancelled at period end after confirmation; enterprise → the account owner (policy_requires_human). */
export const cancelSubscriptionProcedure: Procedure = {
  intent: 'billing.cancel_subscription',
  title: 'cancelling your subscription',
  verification: 'required',
  slots: {},
  async plan(context) {
    const { data: subscription } = await mustRead<Subscription>(context, 'billing', 'get_subscription', {});
    if (subscription.plan.id === 'enterprise' || context.customer?.tier === 'enterprise') {
      return {
        kind: 'escalate',
        reason: 'policy_requires_human',
        priority: 'high',
        text: 'Enterprise contracts are cancelled through your account owner, so I have passed your request to them with the details. They will contact you shortly.',
        summary: `Enterprise customer asked to cancel subscription ${subscription.id}; route to the account owner.`,
      };
    }
    if (subscription.status === 'cancelled' || subscription.cancel_at_period_end) {
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `Your subscription is already set to end on ${subscription.period_end}; you keep access until then.`,
      };
    }
    return {
      kind: 'confirm',
      prompt: `I can cancel your ${subscription.plan.name} subscription at the end of the current billing period (${subscription.period_end}). You keep full access until then and won't be charged again; your data is kept for 30 days after that. Shall I go ahead?`,
      actions: [
        {
          connector: 'billing',
          operation: 'cancel_subscription',
          input: { subscription_id: subscription.id, at_period_end: true },
          label: `cancel subscription ${subscription.id} at the end of the period (${subscription.period_end})`,
        },
      ],
    };
  },
  complete(_context, results) {
    const output = results[0]!.output;
    const ends = String(output.ends_on ?? output.period_end);
    return {
      text: `Done — your subscription is cancelled and will end on ${ends}. You keep access until then, and I've emailed you a confirmation.`,
      email: {
        template: 'subscription_cancelled',
        variables: { subscription_id: String(output.subscription_id), period_end: ends },
      },
    };
  },
};
