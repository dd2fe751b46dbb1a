import type pg from 'pg';
import { z } from 'zod';
import { defineOperation } from '../core/definition.ts';
import { ConnectorError } from '../core/errors.ts';
import { hashValue, messageIdFor, outboxIdFor } from './message-id.ts';
import {
  emailTemplates,
  renderEmail,
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
export interface SendEmailOptions {
  db: pg.Pool;
  /** The From header, e.g. "Lumen Cloud Support <support@lumen.example>". */
  from: string;
  /** The company name used in the emails. */
  brandName: string;
  messageIdDomain?: string;
}

/**
 * `email.send`: renders a confirmation and queues it in the outbox under a Message-ID derived from
 * the idempotency key, so a retried send never queues twice. Delivery is the dispatcher's job.
 */
export function sendEmailOperation(options: SendEmailOptions) {
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
    // Checked per template below: only codes, ticket references and handover notices go to unverified customers.
    allowUnverified: true,
    async run(input, context) {
      const template = emailTemplates[input.template];
      const customer = context.session.customer;
      if (customer && !customer.verified && !template.allowUnverified) {
        throw new ConnectorError('forbidden', `the ${input.template} email needs a verified identity`);
      }
      const contacts = await options.db.query<{ name: string; email: string; timezone: string }>(
        'SELECT name, email, timezone FROM contacts WHERE id = $1',
        [input.contact_id],
      );
      const contact = contacts.rows[0];
      if (!contact) throw new ConnectorError('not_found', `no contact ${input.contact_id}`);

      const variables = template.variables.safeParse(input.variables);
      if (!variables.success) {
        throw new ConnectorError(
          'invalid_input',
          `bad variables for ${input.template}: ${variables.error.issues[0]?.message}`,
        );
      }
      const rendered = renderEmail(input.template, variables.data, {
        contact: { name: contact.name, timezone: contact.timezone },
        brand: { name: options.brandName },
      });
      const conversationId = context.session.conversationId ?? input.conversation_id ?? null;
      // The reference lets a reply thread back to the conversation even without In-Reply-To.
      const subject = conversationId ? `${rendered.subject} [#${conversationId}]` : rendered.subject;
      const key =
        context.idempotencyKey ??
        `${conversationId}:email.send:${input.template}:${input.contact_id}:${hashValue(input.variables)}`;
      const messageId = messageIdFor(key, options.messageIdDomain);

      await options.db.query(
        `INSERT INTO email_outbox (id, message_id, idempotency_key, conversation_id, to_address, from_address, subject,
           text_body, html_body, template)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT DO NOTHING`,
        [
          outboxIdFor(messageId),
          messageId,
          key,
          conversationId,
          contact.email,
          options.from,
          subject,
          rendered.text,
          rendered.html,
          input.template,
        ],
      );
      const row = await options.db.query<{ to_address: string; subject: string; status: 'queued' | 'sent' }>(
        'SELECT to_address, subject, status FROM email_outbox WHERE message_id = $1',
        [messageId],
      );
      const queued = row.rows[0]!;
      return { message_id: messageId, to: queued.to_address, subject: queued.subject, status: queued.status };
    },
  });
}
