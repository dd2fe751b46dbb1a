import { implement } from '../core/contract.ts';
import { email } from './contract.ts';
import { hashValue } from './message-id.ts';
import { createOutbox, type OutboxOptions } from './outbox.ts';

export type { SendEmailInput } from './contract.ts';

/** Settings of the email connector's outbound side. */
export type SendEmailOptions = OutboxOptions;

/**
 * `email.send`: renders a confirmation and queues it in the outbox under a Message-ID derived from
 * the idempotency key, so a retried send never queues twice. Delivery is the dispatcher's job.
 */
export function sendEmailOperation(options: SendEmailOptions) {
  const outbox = createOutbox(options);
  return implement(email.send, {
    scopes: ['email.send'],
    timeoutMs: 5000,
    async run(input, context) {
      const customer = context.session.customer;
      const conversationId = context.session.conversationId ?? input.conversation_id ?? null;
      return outbox.enqueue({
        contactId: input.contact_id,
        // Documents may also go to the address on file of a mailbox proven by DMARC (an email from it).
        verified: customer ? customer.verified || customer.mailboxProven === true : true,
        ...(input.to !== undefined ? { to: input.to } : {}),
        conversationId,
        template: input.template,
        variables: input.variables,
        idempotencyKey:
          context.idempotencyKey ??
          `${conversationId}:email.send:${input.template}:${input.contact_id}:${hashValue(input.variables)}`,
      });
    },
  });
}
