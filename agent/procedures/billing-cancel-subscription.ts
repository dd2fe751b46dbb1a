import { billing } from '../../connectors/contracts.ts';
import { mustRead, outputOf, type Procedure, writeAction } from './procedure.ts';

/** Cancelled at period end after confirmation; enterprise → the account owner (policy_requires_human). */
export const cancelSubscriptionProcedure: Procedure = {
  intent: 'billing.cancel_subscription',
  title: 'cancelling your subscription',
  verification: 'required',
  slots: {},
  async plan(context) {
    const { data: subscription } = await mustRead(context, billing.getSubscription, {});
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
        writeAction(
          billing.cancelSubscription,
          { subscription_id: subscription.id, at_period_end: true },
          `cancel subscription ${subscription.id} at the end of the period (${subscription.period_end})`,
        ),
      ],
    };
  },
  complete(_context, results) {
    const output = outputOf(results, billing.cancelSubscription);
    const ends = output.ends_on;
    return {
      text: `Done — your subscription is cancelled and will end on ${ends}. You keep access until then, and I've emailed you a confirmation.`,
      email: {
        template: 'subscription_cancelled',
        variables: { subscription_id: output.subscription_id, period_end: ends },
      },
    };
  },
};
