import { ticketing } from '../../connectors/contracts.ts';
import { type Procedure, writeAction } from './procedure.ts';

const deletion = /\b(delet\w*|eras\w*|remove|forget|wipe)\b/i;

/** Export / deletion: a privacy ticket created and escalated with priority (policy_requires_human). */
export const privacyRequestProcedure: Procedure = {
  intent: 'privacy.data_request',
  title: 'a personal data request',
  verification: 'none',
  slots: { email: { prompt: 'Which email address is the request about? We will reply there.' } },
  async plan(context) {
    const kind = deletion.test(context.message) ? 'deletion' : 'export';
    if (!context.customer && !context.slots.email)
      return { kind: 'ask', slot: 'email', prompt: this.slots.email!.prompt };
    return {
      kind: 'escalate',
      reason: 'policy_requires_human',
      priority: 'high',
      text: `Data ${kind} requests are handled by our privacy team (within 30 days, as GDPR requires). I've opened a privacy request and handed it to them; they'll confirm your identity and reply by email.`,
      summary: `Personal data ${kind} request. Customer said: "${context.message.slice(0, 300)}"`,
      actions: [
        writeAction(
          ticketing.createTicket,
          {
            subject: `Personal data ${kind} request`,
            description: context.message,
            priority: 'high',
            category: 'privacy',
            ...(context.customer ? {} : { requester_email: context.slots.email }),
          },
          `open a high-priority privacy ticket (${kind})`,
        ),
      ],
    };
  },
};
