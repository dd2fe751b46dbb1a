import { z } from 'zod';
import { defineOperation } from '../core/definition.ts';
import { hashValue } from './message-id.ts';
import { createOutbox, type OutboxOptions } from './outbox.ts';
import {
  emailTemplates,
  type TemplateName,
  type TemplateVariables,
  templateNames,
} from './templates/index.ts';

/** What `email.send` takes: a template and its variables for the customer's own contact. */
export type SendEmailInput = {
  /** Filled by the pipeline from the verified session; the address is looked up, never given. */
  contact_id: string;
  conversation_id?: string;
} & { [Name in TemplateName]: { template: Name; variables: TemplateVariables<Name> } }[TemplateName];

const base = z.object({ contact_id: z.string().min(1), conversation_id: z.string().min(1).optional() });
const variants = templateNames.map((name) =>
  base.extend({ template: z.literal(name), variables: emailTemplates[name].variables as z.ZodType }),
);
const sendInput = z.discriminatedUnion(
  'template',
  variants as unknown as [(typeof variants)[number], ...(typeof variants)[number][]],
) as unknown as z.ZodType<SendEmailInput>;

const sendOutput = z.object({
  message_id: z.string(),
  to: z.string(),
  subject: z.string(),
  status: z.enum(['queued', 'sending', 'sent', 'failed']),
});

/** Settings of the email connector's outbound side. */
export type SendEmailOptions = OutboxOptions;

/**
 * `email.send`: renders a confirmation and queues it in the outbox under a Message-ID derived from
 * the idempotency key, so a retried send never queues twice. Delivery is the dispatcher's job.
 */
export function sendEmailOperation(options: SendEmailOptions) {
  const outbox = createOutbox(options);
  return defineOperation({
    name: 'send',
    description: `Email the customer a confirmation (templates: ${templateNames.join(', ')}). The address is always the customer's own.`,
    effect: 'write',
    input: sendInput,
    output: sendOutput,
    scopes: ['email.send'],
    timeoutMs: 5000,
    idempotencyKey: (input) =>
      `email.send:${input.template}:${input.contact_id}:${hashValue(input.variables)}`,
    customerKey: { field: 'contact_id', from: 'contactId' },
    // Checked per template by the outbox: only codes, ticket references and handover notices go to unverified customers.
    allowUnverified: true,
    async run(input, context) {
      const customer = context.session.customer;
      const conversationId = context.session.conversationId ?? input.conversation_id ?? null;
      return outbox.enqueue({
        contactId: input.contact_id,
        verified: customer ? customer.verified : true,
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
