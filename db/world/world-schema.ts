import { z } from 'zod';

/**
 * The eval world format of docs/evals.md (a contract): entities created on top of an empty
 * world, ids given as text. Every object is strict: an unknown key is an error, so typos never pass.
 * A few optional fields beyond the scenario example (account owner, CRM notes, ticket description…) let the
 * demo seed use the same loader.
 */
const id = z.string().trim().min(1).max(200);
const isoDateTime = z.iso.datetime({ offset: true });
const timezone = z
  .string()
  .refine((value) => isValidTimezone(value), 'is not an IANA time zone (e.g. Europe/Berlin)');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const planIds = ['free', 'starter', 'pro', 'business', 'enterprise'] as const;

export const worldAccountSchema = z.strictObject({
  id,
  name: z.string().min(1),
  tier: z.enum(planIds),
  region: z.enum(['NA', 'EU', 'APAC']),
  owner_name: z.string().min(1).optional(),
  owner_email: z.email().optional(),
  notes: z.array(z.string().min(1)).optional(),
  created_at: isoDateTime.optional(),
});

export const worldContactSchema = z.strictObject({
  id,
  account: id,
  name: z.string().min(1),
  email: z.email(),
  timezone: timezone.default('UTC'),
  phone: z.string().min(3).optional(),
  title: z.string().min(1).optional(),
});

export const worldSubscriptionSchema = z.strictObject({
  id,
  account: id,
  plan: z.enum(planIds),
  status: z.enum(['active', 'trialing', 'past_due', 'cancelled']),
  period_end: z.iso.date(),
  period_start: z.iso.date().optional(),
  cancel_at_period_end: z.boolean().optional(),
});

export const worldInvoiceSchema = z.strictObject({
  id,
  account: id,
  amount_cents: z.number().int().min(0),
  status: z.enum(['draft', 'open', 'paid', 'failed', 'void', 'refunded']),
  issued_at: z.iso.date(),
  subscription: id.optional(),
  due_at: z.iso.date().optional(),
  description: z.string().optional(),
});

export const worldPaymentSchema = z.strictObject({
  id,
  invoice: id,
  amount_cents: z.number().int().min(0),
  status: z.enum(['succeeded', 'failed', 'pending', 'refunded', 'partially_refunded']),
  created_at: isoDateTime,
  failure_reason: z.string().min(1).optional(),
  card_last4: z
    .string()
    .regex(/^\d{4}$/)
    .optional(),
});

export const worldTicketSchema = z.strictObject({
  id,
  account: id,
  contact: id,
  subject: z.string().min(1),
  status: z.enum(['new', 'open', 'pending', 'on_hold', 'solved', 'closed']),
  priority: z.enum(['low', 'normal', 'high', 'urgent']),
  category: z.string().min(1),
  created_at: isoDateTime,
  description: z.string().optional(),
  assignee: z.string().optional(),
  incident: id.optional(),
});

export const worldIncidentSchema = z.strictObject({
  id,
  title: z.string().min(1),
  status: z.enum(['open', 'resolved']),
  started_at: isoDateTime,
  summary: z.string(),
  severity: z.enum(['SEV1', 'SEV2', 'SEV3']).optional(),
  components: z.array(z.string().min(1)).optional(),
  resolved_at: isoDateTime.optional(),
});

export const worldEngineerSchema = z.strictObject({
  id,
  name: z.string().min(1),
  email: z.email(),
  timezone,
  hours: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must look like "09:00-17:00"')
    .refine((value) => value.slice(0, 5) < value.slice(6), 'must end after it starts'),
  days: z.array(weekday).min(1),
});

export const worldBookingSchema = z.strictObject({
  id,
  contact: id,
  engineer: id,
  start: isoDateTime,
  end: isoDateTime,
  status: z.enum(['confirmed', 'cancelled']),
  topic: z.string().optional(),
});

export const worldArticleSchema = z.strictObject({
  slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, -)'),
  title: z.string().min(1),
  body: z.string().min(1),
  visibility: z.enum(['public', 'internal']),
  tags: z.array(z.string()).optional(),
  category: z.string().optional(),
});

export const worldPolicySchema = z.strictObject({
  auto_refund_limit_cents: z.number().int().min(0).optional(),
  refund_window_days: z.number().int().min(0).optional(),
});

export const worldSchema = z
  .strictObject({
    accounts: z.array(worldAccountSchema).default([]),
    contacts: z.array(worldContactSchema).default([]),
    subscriptions: z.array(worldSubscriptionSchema).default([]),
    invoices: z.array(worldInvoiceSchema).default([]),
    payments: z.array(worldPaymentSchema).default([]),
    tickets: z.array(worldTicketSchema).default([]),
    incidents: z.array(worldIncidentSchema).default([]),
    bookings: z.array(worldBookingSchema).default([]),
    engineers: z.array(worldEngineerSchema).default([]),
    articles: z.array(worldArticleSchema).default([]),
    policy: worldPolicySchema.default({}),
  })
  .superRefine((world, context) => checkReferences(world, context));

/** A world as written in a scenario or fixture file. */
export type WorldInput = z.input<typeof worldSchema>;
/** A validated world, defaults applied. */
export type World = z.output<typeof worldSchema>;

type WorldShape = Omit<World, never>;

function checkReferences(world: WorldShape, context: z.RefinementCtx): void {
  const ids = (list: Array<{ id: string }>) => new Set(list.map((item) => item.id));
  const collections = {
    accounts: ids(world.accounts),
    contacts: ids(world.contacts),
    subscriptions: ids(world.subscriptions),
    invoices: ids(world.invoices),
    payments: ids(world.payments),
    tickets: ids(world.tickets),
    incidents: ids(world.incidents),
    bookings: ids(world.bookings),
    engineers: ids(world.engineers),
  };
  const duplicates = (name: string, list: Array<{ id?: string; slug?: string }>) => {
    const seen = new Set<string>();
    list.forEach((item, index) => {
      const key = item.id ?? item.slug ?? '';
      if (seen.has(key)) {
        context.addIssue({
          code: 'custom',
          path: [name, index, item.id ? 'id' : 'slug'],
          message: `duplicate "${key}"`,
        });
      }
      seen.add(key);
    });
  };
  for (const name of Object.keys(collections) as Array<keyof typeof collections>)
    duplicates(name, world[name]);
  duplicates('articles', world.articles);

  const emails = new Set<string>();
  world.contacts.forEach((contact, index) => {
    const email = contact.email.toLowerCase();
    if (emails.has(email))
      context.addIssue({
        code: 'custom',
        path: ['contacts', index, 'email'],
        message: `duplicate email "${email}"`,
      });
    emails.add(email);
  });

  const reference = (
    path: Array<string | number>,
    value: string | undefined,
    target: keyof typeof collections,
  ) => {
    if (value !== undefined && !collections[target].has(value)) {
      context.addIssue({ code: 'custom', path, message: `"${value}" does not match any ${target} id` });
    }
  };
  const accountOfContact = new Map(world.contacts.map((contact) => [contact.id, contact.account]));
  for (const [index, item] of world.contacts.entries())
    reference(['contacts', index, 'account'], item.account, 'accounts');
  for (const [index, item] of world.subscriptions.entries())
    reference(['subscriptions', index, 'account'], item.account, 'accounts');
  world.invoices.forEach((item, index) => {
    reference(['invoices', index, 'account'], item.account, 'accounts');
    reference(['invoices', index, 'subscription'], item.subscription, 'subscriptions');
  });
  for (const [index, item] of world.payments.entries())
    reference(['payments', index, 'invoice'], item.invoice, 'invoices');
  world.tickets.forEach((item, index) => {
    reference(['tickets', index, 'account'], item.account, 'accounts');
    reference(['tickets', index, 'contact'], item.contact, 'contacts');
    reference(['tickets', index, 'incident'], item.incident, 'incidents');
    const owner = accountOfContact.get(item.contact);
    if (owner !== undefined && owner !== item.account) {
      context.addIssue({
        code: 'custom',
        path: ['tickets', index, 'contact'],
        message: `contact "${item.contact}" belongs to account "${owner}", not "${item.account}"`,
      });
    }
  });
  world.bookings.forEach((item, index) => {
    reference(['bookings', index, 'contact'], item.contact, 'contacts');
    reference(['bookings', index, 'engineer'], item.engineer, 'engineers');
    if (Date.parse(item.end) <= Date.parse(item.start)) {
      context.addIssue({ code: 'custom', path: ['bookings', index, 'end'], message: 'must be after start' });
    }
  });
}

function isValidTimezone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
