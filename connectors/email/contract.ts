import { z } from 'zod';
import { defineContract } from '../core/contract.ts';
import { hashValue } from './message-id.ts';
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
  /** Another address than the one on file: only templates marked `explicitRecipient` (the outbox refuses others). */
  to?: string;
} & { [Name in TemplateName]: { template: Name; variables: TemplateVariables<Name> } }[TemplateName];

const base = z.object({
  contact_id: z.string().min(1),
  conversation_id: z.string().min(1).optional(),
  to: z.email().max(320).optional(),
});
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

/** The email contract: `email.send` queues a templated email to the session's own contact. */
export const email = {
  send: defineContract({
    connector: 'email',
    name: 'send',
    description: `Email the customer a confirmation (templates: ${templateNames.join(', ')}). The address is always the customer's own.`,
    effect: 'write',
    input: sendInput,
    output: sendOutput,
    idempotencyKey: (input) =>
      `email.send:${input.template}:${input.contact_id}:${hashValue(input.variables)}`,
    customerKey: { field: 'contact_id', from: 'contactId' },
    // Checked per template by the outbox: only codes, ticket references and handover notices go to unverified customers.
    allowUnverified: true,
  }),
};
