import { z } from 'zod';
import { defineTemplate } from './render.ts';

/** The reference of a new ticket (ticket.report_bug, privacy.data_request). */
export const ticketCreated = defineTemplate({
  name: 'ticket_created',
  description: 'A support ticket was opened for the customer.',
  allowUnverified: true,
  variables: z.object({
    ticket_id: z.string().min(1),
    subject: z.string().min(1).max(200),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
    incident_title: z.string().max(200).optional(),
  }),
  render: (v) => ({
    subject: `Ticket ${v.ticket_id} created: ${v.subject}`,
    blocks: [
      {
        kind: 'paragraph',
        text: 'We have opened a ticket for your report. Reply to this email to add details.',
      },
      {
        kind: 'facts',
        rows: [
          ['Ticket', v.ticket_id],
          ['Subject', v.subject],
          ...(v.priority ? [['Priority', v.priority] as [string, string]] : []),
          ...(v.incident_title ? [['Known incident', v.incident_title] as [string, string]] : []),
        ],
      },
    ],
  }),
});

const contactFields = z.enum(['name', 'email', 'phone', 'title']);
const fieldLabels: Record<z.infer<typeof contactFields>, string> = {
  name: 'name',
  email: 'email address',
  phone: 'phone number',
  title: 'job title',
};

/** Confirmation of changed contact details (account.update_contact). Names the fields, not the values. */
export const contactUpdated = defineTemplate({
  name: 'contact_updated',
  description: 'The customer’s contact details were updated.',
  variables: z.object({ fields: z.array(contactFields).min(1) }),
  render: (v) => ({
    subject: 'Your contact details were updated',
    blocks: [
      {
        kind: 'paragraph',
        text: `We updated your ${v.fields.map((field) => fieldLabels[field]).join(', ')}. If you did not ask for this, reply to this email right away.`,
      },
    ],
  }),
});

/** A one-time identity verification code. */
export const verificationCode = defineTemplate({
  name: 'verification_code',
  description:
    'A one-time code that verifies the customer’s identity in a conversation, or proves a new address they want on file.',
  allowUnverified: true,
  explicitRecipient: true,
  variables: z.object({
    code: z.string().regex(/^\d{4,8}$/),
    expires_minutes: z.number().int().min(1).max(60).default(10),
  }),
  render: (v, context) => ({
    subject: `Your ${context.brand.name} verification code`,
    blocks: [
      { kind: 'paragraph', text: 'Use this code to confirm it is you:' },
      { kind: 'code', text: v.code },
      {
        kind: 'paragraph',
        text: `It expires in ${v.expires_minutes} minutes. Never share it with anyone; our team will never ask for it.`,
      },
    ],
  }),
});

/** To the previous address, once the account's email address was changed: the owner hears of it. */
export const emailAddressChanged = defineTemplate({
  name: 'email_address_changed',
  description: 'Notice to the old address that the account’s email address was changed.',
  explicitRecipient: true,
  variables: z.object({ new_address: z.email().max(320) }),
  render: (v, context) => {
    const [local = '', domain = ''] = v.new_address.split('@');
    return {
      subject: `The email address of your ${context.brand.name} account was changed`,
      blocks: [
        {
          kind: 'paragraph',
          text: `The email address on your account was changed to ${local.slice(0, 1)}•••@${domain}. From now on we write to that address only.`,
        },
        {
          kind: 'paragraph',
          text: 'If you did not ask for this, reply to this email right away and we will secure your account.',
        },
      ],
    };
  },
});

/** Notice that a person took over the conversation (escalations). */
export const escalationNotice = defineTemplate({
  name: 'escalation_notice',
  description: 'A member of the support team will follow up.',
  allowUnverified: true,
  variables: z.object({
    reference: z.string().min(1).max(100).optional(),
    expected_response: z.string().max(100).optional(),
  }),
  render: (v) => ({
    subject: 'A member of our support team will follow up',
    blocks: [
      {
        kind: 'paragraph',
        text: `We have passed your request to a member of our support team, who will get back to you${v.expected_response ? ` ${v.expected_response}` : ' as soon as possible'}.`,
      },
      ...(v.reference
        ? [{ kind: 'facts' as const, rows: [['Reference', v.reference] as [string, string]] }]
        : []),
    ],
  }),
});
