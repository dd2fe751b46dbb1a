import type { Procedure } from './procedure.ts';

const thanks = /\b(thanks|thank you|thx|cheers|great|perfect|awesome)\b/i;
const greeting = /^(hi|hello|hey|good (morning|afternoon|evening)|hallo|yo)\b/i;

/** Small talk and out-of-scope messages: polite, no action. */
export const otherProcedure: Procedure = {
  intent: 'other',
  title: 'a chat',
  verification: 'none',
  slots: {},
  async plan(context) {
    const capabilities =
      'I can help with billing (duplicate charges, refunds, invoices, failed payments, plan changes, cancellations), calls with our engineers, bug reports and tickets, your contact details, and questions about Lumen Cloud.';
    if (thanks.test(context.message))
      return {
        kind: 'reply',
        outcome: 'answered',
        text: "You're welcome! Is there anything else I can help with?",
      };
    if (greeting.test(context.message.trim()))
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `Hi! I'm the Lumen Cloud support assistant. ${capabilities} What can I do for you?`,
      };
    return {
      kind: 'reply',
      outcome: 'answered',
      text: `That's outside what I can help with here, sorry. ${capabilities}`,
    };
  },
};
