import { kbQuestionProcedure } from './kb-question.ts';
import { type Procedure, ReadFailed } from './procedure.ts';

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
    // Knowledge before refusal (issue #19, pattern 4): an indirect question the help center answers
    // confidently is answered, not called out of scope.
    try {
      const answer = await kbQuestionProcedure.plan(context);
      if (answer.kind === 'reply') return answer;
    } catch (error) {
      // The help center unreachable: the polite refusal below still holds.
      if (!(error instanceof ReadFailed)) throw error;
    }
    return {
      kind: 'reply',
      outcome: 'answered',
      text: `That's outside what I can help with here, sorry. ${capabilities}`,
    };
  },
};
