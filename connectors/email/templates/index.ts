import type { z } from 'zod';
import {
  contactUpdated,
  emailAddressChanged,
  escalationNotice,
  ticketCreated,
  verificationCode,
} from './account.ts';
import { invoiceCopy, paymentLink, planChanged, refundIssued, subscriptionCancelled } from './billing.ts';
import { callBooked, callCancelled, callRescheduled } from './calendar.ts';
import { conversationReply } from './conversation.ts';
import { layout, type RenderedEmail, type TemplateContext } from './render.ts';

/** Every confirmation email the procedures send, by name. */
export const emailTemplates = {
  refund_issued: refundIssued,
  invoice_copy: invoiceCopy,
  payment_link: paymentLink,
  plan_changed: planChanged,
  subscription_cancelled: subscriptionCancelled,
  call_booked: callBooked,
  call_rescheduled: callRescheduled,
  call_cancelled: callCancelled,
  ticket_created: ticketCreated,
  contact_updated: contactUpdated,
  email_address_changed: emailAddressChanged,
  verification_code: verificationCode,
  escalation_notice: escalationNotice,
  conversation_reply: conversationReply,
};

export type TemplateName = keyof typeof emailTemplates;
/** The variables a template takes, after defaults. */
export type TemplateVariables<Name extends TemplateName> = z.output<
  (typeof emailTemplates)[Name]['variables']
>;
export const templateNames = Object.keys(emailTemplates) as TemplateName[];

/** Validates the variables against the template's schema and renders subject, text and HTML. */
export function renderEmail(name: TemplateName, variables: unknown, context: TemplateContext): RenderedEmail {
  const template = emailTemplates[name] as (typeof emailTemplates)[TemplateName];
  const parsed = (template.variables as z.ZodType).parse(variables);
  return layout(
    (template.render as (variables: unknown, context: TemplateContext) => ReturnType<typeof template.render>)(
      parsed,
      context,
    ),
    context,
  );
}

export type { RenderedEmail, TemplateContext } from './render.ts';
