import type { Procedure } from './procedure.ts';

/** The customer asked for a person: escalated at once. */
export const humanRequestProcedure: Procedure = {
  intent: 'human.request',
  title: 'talking to a person',
  verification: 'none',
  slots: {},
  async plan(context) {
    return {
      kind: 'escalate',
      reason: 'customer_requested',
      priority: 'normal',
      text: "Of course — I've asked a colleague to take over. They'll reply here; our support team is available 24/5.",
      summary: `Customer asked for a person: "${context.message.slice(0, 200)}"`,
    };
  },
};
