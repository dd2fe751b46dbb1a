import { z } from 'zod';
import { planIds } from '../db/world/world-schema.ts';

/**
 * The canonical write operations of docs/evals.md, with the arguments a scenario may match on.
 * Each op also accepts a few extra arguments the connector takes, where the end state records them
 * (so they can be checked too). `references` says which world collection an id argument points at,
 * so a scenario naming a record its world lacks is rejected at load time.
 */
const id = z.string().trim().min(1);
/** An ISO date-time; without an offset it is wall-clock time in the engineer's time zone (docs/evals.md). */
export const localOrZonedDateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/,
    'must be an ISO date-time such as 2026-11-24T15:00 (engineer time) or 2026-11-24T15:00:00Z',
  );

type Collection =
  | 'accounts'
  | 'contacts'
  | 'subscriptions'
  | 'payments'
  | 'bookings'
  | 'engineers'
  | 'tickets';

interface WriteOperationSpec {
  args: z.ZodObject;
  references: Record<string, Collection>;
}

export const writeOperations = {
  'billing.refund_payment': {
    args: z.strictObject({
      payment_id: id.optional(),
      amount_cents: z.number().int().positive().optional(),
      reason: z.string().min(1).optional(),
    }),
    references: { payment_id: 'payments' },
  },
  'billing.change_plan': {
    args: z.strictObject({ subscription_id: id.optional(), plan: z.enum(planIds).optional() }),
    references: { subscription_id: 'subscriptions' },
  },
  'billing.cancel_subscription': {
    args: z.strictObject({ subscription_id: id.optional(), at_period_end: z.boolean().optional() }),
    references: { subscription_id: 'subscriptions' },
  },
  'billing.retry_payment': {
    args: z.strictObject({ payment_id: id.optional() }),
    references: { payment_id: 'payments' },
  },
  'billing.send_payment_link': {
    args: z.strictObject({ contact_id: id.optional() }),
    references: { contact_id: 'contacts' },
  },
  'calendar.book': {
    args: z.strictObject({
      engineer_id: id.optional(),
      start: localOrZonedDateTime.optional(),
      contact_id: id.optional(),
      duration_minutes: z.number().int().positive().optional(),
      topic: z.string().min(1).optional(),
    }),
    references: { engineer_id: 'engineers', contact_id: 'contacts' },
  },
  'calendar.reschedule': {
    args: z.strictObject({ booking_id: id.optional(), start: localOrZonedDateTime.optional() }),
    references: { booking_id: 'bookings' },
  },
  'calendar.cancel': {
    args: z.strictObject({ booking_id: id.optional() }),
    references: { booking_id: 'bookings' },
  },
  'ticketing.create_ticket': {
    args: z.strictObject({
      contact_id: id.optional(),
      priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
      category: z.string().min(1).optional(),
      subject: z.string().min(1).optional(),
    }),
    references: { contact_id: 'contacts' },
  },
  'ticketing.add_comment': {
    args: z.strictObject({ ticket_id: id.optional(), internal: z.boolean().optional() }),
    references: { ticket_id: 'tickets' },
  },
  'crm.update_contact': {
    args: z.strictObject({
      contact_id: id.optional(),
      phone: z.string().min(1).optional(),
      email: z.email().optional(),
      name: z.string().min(1).optional(),
      title: z.string().min(1).optional(),
      timezone: z.string().min(1).optional(),
    }),
    references: { contact_id: 'contacts' },
  },
  'crm.add_note': {
    args: z.strictObject({
      account_id: id.optional(),
      contact_id: id.optional(),
      body: z.string().min(1).optional(),
    }),
    references: { account_id: 'accounts', contact_id: 'contacts' },
  },
} as const satisfies Record<string, WriteOperationSpec>;

/** A canonical write operation name, `connector.operation`. */
export type WriteOperationName = keyof typeof writeOperations;

export const writeOperationNames = Object.keys(writeOperations) as WriteOperationName[];

export const isWriteOperationName = (name: string): name is WriteOperationName =>
  Object.hasOwn(writeOperations, name);

/** The connectors a scenario may inject faults into. */
export const connectorIds = ['billing', 'crm', 'ticketing', 'calendar', 'email', 'knowledge'] as const;
