import type pg from 'pg';
import { splitName, toHubSpotTimezone } from '../../../connectors/crm/hubspot/mapping.ts';
import type { World } from '../../../db/world/world-schema.ts';
import { hubspotSeeder } from '../../../test/fakes/hubspot/seed.ts';
import type { FakeCharge, FakeInvoice } from '../../../test/fakes/stripe/objects.ts';
import { seconds, stripeSeeder } from '../../../test/fakes/stripe/seed.ts';
import { zendeskSeeder } from '../../../test/fakes/zendesk/seed.ts';
import { googleAccessToken, type VendorFakes } from './fakes.ts';

/**
 * What seeding learned about ids: the vendor's id of each world record whose id the vendor assigns
 * (Stripe charges and subscriptions, Zendesk users). Records whose world id travels in a vendor field
 * (invoice `number`, HubSpot `switchboard_contact_id` / `switchboard_account_id`, Zendesk
 * `external_id`, Google `extendedProperties.private.switchboard_booking_id`) need no entry here.
 */
export interface VendorIds {
  /** Stripe charge id → world payment id. */
  charges: Map<string, string>;
  /** Stripe subscription id → world subscription id. */
  subscriptions: Map<string, string>;
  /** Stripe customer id → world account id. */
  customers: Map<string, string>;
  /** Zendesk user id → world contact id (end users only). */
  zendeskUsers: Map<number, string>;
}

/** The private extended property of a Google event naming our booking. */
export const bookingIdProperty = 'switchboard_booking_id';

/** Stripe's decline codes for the world's failure reasons (mapping.ts reads them back). */
const declineCodes: Record<string, string> = {
  card_expired: 'expired_card',
  card_declined: 'generic_decline',
  lost_or_stolen_card: 'lost_card',
};

const addMonths = (iso: string, months: number): string => {
  const date = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString();
};

/**
 * Seeds a scenario's world into the four fakes (just reset), through each vendor's HTTP API as its
 * documentation describes, as an administrator setting up or migrating an account would. The few
 * things no vendor API creates are inserted into the fake directly and named as such below.
 * Our own database still holds the identity directory (contacts, accounts, engineers) and the
 * bookings table the Google backend keeps beside its events; `pool` is that database.
 */
export async function seedVendorWorld(fakes: VendorFakes, world: World, pool: pg.Pool): Promise<VendorIds> {
  const ids: VendorIds = {
    charges: new Map(),
    subscriptions: new Map(),
    customers: new Map(),
    zendeskUsers: new Map(),
  };
  await seedStripe(fakes, world, pool, ids);
  await seedHubSpot(fakes, world);
  await seedZendesk(fakes, world, ids);
  await seedGoogle(fakes, world, pool);
  return ids;
}

/**
 * Stripe: one customer per account (email: the account's first contact, `metadata.switchboard_account_id`),
 * a product and a monthly price per plan (`lookup_key` = plan id, prices from our `plans` table),
 * subscriptions (created, then cancelled or set to cancel at period end through the API). Invoices
 * and their charges are inserted as Stripe's billing engine would have made them (no API creates
 * a past billing cycle or its payment attempts), as are a trialing / past_due status; the invoice
 * `number` is the world's invoice id (the number printed on the invoice, which customers quote).
 */
async function seedStripe(fakes: VendorFakes, world: World, pool: pg.Pool, ids: VendorIds): Promise<void> {
  const fake = fakes.stripe;
  const seed = stripeSeeder(fake);
  const call = async (method: string, path: string, params: Record<string, string> = {}) => {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${fake.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      ...(method === 'GET' ? {} : { body: new URLSearchParams(params) }),
    });
    if (!response.ok) throw new Error(`seeding Stripe ${method} ${path} failed: ${await response.text()}`);
  };
  const { rows: plans } = await pool.query<{ id: string; name: string; price_cents: number | null }>(
    'SELECT id, name, price_cents FROM plans ORDER BY sort_order',
  );
  const prices = new Map<string, string>();
  for (const plan of plans) prices.set(plan.id, await seed.plan(plan.id, plan.price_cents ?? 0, plan.name));

  const customers = new Map<string, string>();
  for (const account of world.accounts) {
    const contact = world.contacts.find((candidate) => candidate.account === account.id);
    if (!contact) continue;
    const customer = await seed.customer(contact.email, { name: account.name, accountId: account.id });
    customers.set(account.id, customer);
    ids.customers.set(customer, account.id);
  }

  const subscriptions = new Map<string, string>();
  for (const subscription of world.subscriptions) {
    const customer = customers.get(subscription.account);
    if (!customer) continue;
    const start = subscription.period_start
      ? `${subscription.period_start}T00:00:00Z`
      : addMonths(subscription.period_end, -1);
    const id = await seed.subscription(customer, prices.get(subscription.plan)!, {
      start,
      end: `${subscription.period_end}T00:00:00Z`,
    });
    subscriptions.set(subscription.id, id);
    ids.subscriptions.set(id, subscription.id);
    if (subscription.status === 'cancelled') await call('DELETE', `/v1/subscriptions/${id}`);
    else if (subscription.cancel_at_period_end)
      await call('POST', `/v1/subscriptions/${id}`, { cancel_at_period_end: 'true' });
    if (subscription.status === 'trialing' || subscription.status === 'past_due') {
      // Set by Stripe's billing engine (a trial, failed renewals), not by a client: inserted.
      fake.state.subscriptions.get(id)!.status = subscription.status;
    }
  }

  const invoiceStatus: Record<World['invoices'][number]['status'], FakeInvoice['status']> = {
    draft: 'draft',
    open: 'open',
    paid: 'paid',
    failed: 'open',
    void: 'void',
    refunded: 'paid',
  };
  for (const invoice of world.invoices) {
    const customer = customers.get(invoice.account);
    if (!customer) continue;
    const payments = world.payments.filter((payment) => payment.invoice === invoice.id);
    const seeded = seed.invoice(customer, {
      total: invoice.amount_cents,
      created: `${invoice.issued_at}T00:00:00Z`,
      number: invoice.id,
      status: invoiceStatus[invoice.status],
      ...(invoice.subscription && subscriptions.get(invoice.subscription)
        ? { subscription: subscriptions.get(invoice.subscription)! }
        : {}),
      ...(invoice.description ? { description: invoice.description } : {}),
      charges: payments.map((payment) => chargeOf(payment)),
    });
    if (invoice.due_at) seeded.invoice.due_date = seconds(`${invoice.due_at}T00:00:00Z`);
    if (invoice.status === 'failed' && seeded.invoice.attempt_count === 0) seeded.invoice.attempt_count = 1;
    for (const [index, payment] of payments.entries()) ids.charges.set(seeded.charges[index]!.id, payment.id);
  }
}

function chargeOf(
  payment: World['payments'][number],
): { created: string } & Partial<Omit<FakeCharge, 'created'>> {
  const refunded =
    payment.status === 'refunded'
      ? payment.amount_cents
      : payment.status === 'partially_refunded'
        ? Math.floor(payment.amount_cents / 2)
        : 0;
  const reason = payment.failure_reason ?? 'card_declined';
  return {
    created: payment.created_at,
    amount: payment.amount_cents,
    amount_refunded: refunded,
    status: payment.status === 'failed' ? 'failed' : payment.status === 'pending' ? 'pending' : 'succeeded',
    ...(payment.status === 'failed'
      ? {
          outcome_reason: declineCodes[reason] ?? reason,
          failure_code: reason === 'insufficient_funds' ? 'card_declined' : (declineCodes[reason] ?? reason),
        }
      : {}),
    ...(payment.card_last4 ? { last4: payment.card_last4 } : {}),
  };
}

/**
 * HubSpot: the custom properties the backend reads (docs/connectors.md, "HubSpot"), one company per
 * account (tier, region, `switchboard_account_id`, owner), one contact per contact (associated with
 * its company, `switchboard_contact_id`), and each account note as a note associated with the company
 * and its contacts — all through the CRM API. Owners are the portal's users, which no API creates:
 * added to the fake directly.
 */
async function seedHubSpot(fakes: VendorFakes, world: World): Promise<void> {
  const fake = fakes.hubspot;
  const seed = hubspotSeeder(fake);
  await seed.property('contacts', 'switchboard_contact_id');
  for (const name of ['switchboard_tier', 'switchboard_region', 'switchboard_account_id'])
    await seed.property('companies', name);
  await seed.property('notes', 'switchboard_idempotency_key');
  let ownerId = 501;
  for (const account of world.accounts) {
    let owner: string | undefined;
    if (account.owner_email) {
      owner = String(ownerId++);
      const { firstname, lastname } = splitName(account.owner_name ?? account.owner_email);
      fake.addOwner({ id: owner, email: account.owner_email, firstName: firstname, lastName: lastname });
    }
    const company = await seed.company({
      name: account.name,
      switchboard_tier: account.tier,
      switchboard_region: account.region,
      switchboard_account_id: account.id,
      ...(owner ? { hubspot_owner_id: owner } : {}),
    });
    const contacts: string[] = [];
    for (const contact of world.contacts.filter((candidate) => candidate.account === account.id)) {
      contacts.push(
        await seed.contact(
          {
            email: contact.email,
            ...splitName(contact.name),
            ...(contact.phone ? { phone: contact.phone } : {}),
            ...(contact.title ? { jobtitle: contact.title } : {}),
            hs_timezone: toHubSpotTimezone(contact.timezone),
            switchboard_contact_id: contact.id,
          },
          company,
        ),
      );
    }
    const created = account.created_at ? Date.parse(account.created_at) : Date.parse('2026-01-01T00:00:00Z');
    for (const [index, note] of (account.notes ?? []).entries()) {
      const first = contacts[0];
      if (!first) continue;
      const noteId = await seed.engagement('notes', first, {
        hs_note_body: note,
        hs_timestamp: new Date(created + index * 60_000).toISOString(),
      });
      await seed.associate('notes', noteId, 'companies', company);
      for (const other of contacts.slice(1)) await seed.associate('notes', noteId, 'contacts', other);
    }
  }
}

/**
 * Zendesk: an end user per contact and an agent per ticket assignee (Create User), incidents as
 * problem tickets (tags `sev1`–`sev3` and `component_<name>`), and tickets with their history through
 * the Ticket Import API — each with the world id as `external_id` (the reference the customer was
 * given by the help desk it was migrated from) and the category as tag `switchboard_category_<category>`.
 */
async function seedZendesk(fakes: VendorFakes, world: World, ids: VendorIds): Promise<void> {
  const seed = zendeskSeeder(fakes.zendesk);
  const users = new Map<string, number>();
  for (const contact of world.contacts) {
    const id = await seed.user(contact.name, contact.email);
    users.set(contact.id, id);
    ids.zendeskUsers.set(id, contact.id);
  }
  const agents = new Map<string, number>();
  const agentNamed = async (name: string): Promise<number> => {
    const known = agents.get(name);
    if (known) return known;
    const slug =
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '.')
        .replace(/^\.|\.$/g, '') || 'agent';
    const id = await seed.user(name, `${slug}@support.example`, 'agent');
    agents.set(name, id);
    return id;
  };
  const problems = new Map<string, number>();
  for (const incident of world.incidents) {
    const resolved = incident.status === 'resolved';
    problems.set(
      incident.id,
      await seed.ticket({
        requesterId: await agentNamed('Status Page'),
        subject: incident.title,
        description: incident.summary || incident.title,
        createdAt: incident.started_at,
        ...(resolved && incident.resolved_at ? { updatedAt: incident.resolved_at } : {}),
        status: resolved ? 'solved' : 'open',
        type: 'problem',
        priority: incident.severity === 'SEV1' ? 'urgent' : incident.severity === 'SEV2' ? 'high' : 'normal',
        tags: [
          ...(incident.severity ? [incident.severity.toLowerCase()] : []),
          ...(incident.components ?? []).map((component) => `component_${component}`),
        ],
        externalId: incident.id,
      }),
    );
  }
  for (const ticket of world.tickets) {
    const requesterId = users.get(ticket.contact);
    if (!requesterId) continue;
    const problemId = ticket.incident ? problems.get(ticket.incident) : undefined;
    await seed.ticket({
      requesterId,
      subject: ticket.subject,
      description: ticket.description ?? ticket.subject,
      createdAt: ticket.created_at,
      status: ticket.status === 'on_hold' ? 'hold' : ticket.status,
      priority: ticket.priority,
      ...(problemId ? { type: 'incident' as const, problemId } : {}),
      ...(ticket.assignee ? { assigneeId: await agentNamed(ticket.assignee) } : {}),
      tags: [`switchboard_category_${ticket.category}`],
      externalId: ticket.id,
    });
  }
}

/**
 * Google Calendar: each world booking as an event on its engineer's calendar (the calendar id is the
 * engineer's email) with Events: insert — attendee the contact, the booking id in
 * `extendedProperties.private` — and a cancelled one deleted again (Google keeps it as `cancelled`).
 * Our bookings table (loaded by `loadWorld`) gets each event's id, as the backend records it.
 */
async function seedGoogle(fakes: VendorFakes, world: World, pool: pg.Pool): Promise<void> {
  const root = fakes.google.url;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${root}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${googleAccessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`seeding Google ${method} ${path} failed: ${text}`);
    return text ? (JSON.parse(text) as { id: string }) : { id: '' };
  };
  for (const booking of world.bookings) {
    const engineer = world.engineers.find((candidate) => candidate.id === booking.engineer);
    const contact = world.contacts.find((candidate) => candidate.id === booking.contact);
    if (!engineer || !contact) continue;
    const calendar = encodeURIComponent(engineer.email);
    const event = await call('POST', `calendar/v3/calendars/${calendar}/events`, {
      summary: booking.topic ?? `Call with ${contact.name}`,
      start: { dateTime: new Date(booking.start).toISOString(), timeZone: engineer.timezone },
      end: { dateTime: new Date(booking.end).toISOString(), timeZone: engineer.timezone },
      attendees: [{ email: contact.email }],
      extendedProperties: { private: { [bookingIdProperty]: booking.id } },
    });
    if (booking.status === 'cancelled')
      await call('DELETE', `calendar/v3/calendars/${calendar}/events/${event.id}`);
    await pool.query('UPDATE bookings SET external_event_id = $1 WHERE id = $2', [event.id, booking.id]);
  }
}
