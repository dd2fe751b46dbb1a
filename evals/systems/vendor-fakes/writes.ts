import type pg from 'pg';
import { fromHubSpotTimezone } from '../../../connectors/crm/hubspot/mapping.ts';
import type { FakeRecord } from '../../../test/fakes/hubspot/state.ts';
import type { ObservedWrite } from '../../end-state.ts';
import type { SystemWrites } from '../../environment.ts';
import type { ContactField } from '../../observed-writes.ts';
import type { VendorFakes } from './fakes.ts';
import { bookingIdProperty, type VendorIds } from './seed-world.ts';

/** A contact's canonical fields as its HubSpot record holds them. */
function contactFieldsOf(record: FakeRecord): Record<ContactField, string | null> {
  const value = (name: string) => {
    const text = record.properties[name];
    return text === undefined || text.trim() === '' ? null : text;
  };
  const name = [value('firstname'), value('lastname')].filter(Boolean).join(' ');
  return {
    name: name || null,
    email: value('email'),
    phone: value('phone'),
    title: value('jobtitle'),
    timezone: fromHubSpotTimezone(value('hs_timezone')),
  };
}

/**
 * Takes the snapshot of the four fakes after seeding and returns the reader of the writes made since,
 * in the canonical form of `evals/observed-writes.ts` (docs/evals.md, "Canonical write operations"),
 * with vendor ids translated back to the world's:
 *
 * - Stripe: a new refund (`billing.refund_payment`), a subscription whose price changed
 *   (`change_plan`), cancelled or set to cancel at period end (`cancel_subscription`), a new charge
 *   on an invoice that existed before (`retry_payment`, of that invoice's failed payment), a new
 *   customer portal session (`send_payment_link`, for the contact with the customer's email);
 * - HubSpot: a new note (`crm.add_note`, account and contact from its associations), a contact
 *   whose name / email / phone / job title / time zone changed (`crm.update_contact`);
 * - Zendesk: a new ticket (`ticketing.create_ticket`), a new comment on a ticket that existed
 *   before, or a later one on a new ticket (`ticketing.add_comment`);
 * - Google Calendar: a new live event (`calendar.book`), an event that moved (`reschedule`) or was
 *   cancelled (`cancel`); the booking id is the event's private `switchboard_booking_id`, or the
 *   booking our bookings table records for the event (one the backend made).
 */
export function snapshotVendorWrites(fakes: VendorFakes, ids: VendorIds, pool: pg.Pool): SystemWrites {
  const stripe = fakes.stripe.state;
  const hubspot = fakes.hubspot.state;
  const zendesk = fakes.zendesk.state;
  const google = fakes.google.state;
  const before = {
    refunds: new Set(stripe.refunds.keys()),
    charges: new Set(stripe.charges.keys()),
    invoices: new Set(stripe.invoices.keys()),
    portalSessions: new Set(stripe.portalSessions.keys()),
    subscriptions: new Map(
      [...stripe.subscriptions.values()].map((subscription) => [
        subscription.id,
        {
          status: subscription.status,
          cancelAtPeriodEnd: subscription.cancel_at_period_end,
          price: subscription.items[0]?.price ?? null,
        },
      ]),
    ),
    notes: new Set(hubspot.records.get('notes')!.keys()),
    contacts: new Map(
      [...hubspot.records.get('contacts')!.values()].map((record) => [record.id, contactFieldsOf(record)]),
    ),
    tickets: new Set(zendesk.tickets.keys()),
    comments: new Set([...zendesk.tickets.values()].flatMap((ticket) => ticket.comments.map((c) => c.id))),
    events: new Map(
      [...google.events.entries()].map(([key, event]) => [
        key,
        { start: event.startMs, status: event.status },
      ]),
    ),
  };

  const read = async () => {
    const writes: ObservedWrite[] = [];
    const state = (op: string, args: Record<string, unknown>, zone?: string) =>
      writes.push({ op, args, source: 'state', ...(zone ? { zone } : {}) });
    const contacts = await pool.query<{ id: string; email: string }>('SELECT id, email FROM contacts');
    const contactOfEmail = (email: string | null | undefined) =>
      email
        ? (contacts.rows.find((row) => row.email.toLowerCase() === email.toLowerCase())?.id ?? null)
        : null;

    // Stripe
    const byCreation = <T extends { created: number }>(items: Iterable<T>) =>
      [...items].sort((a, b) => a.created - b.created);
    for (const refund of byCreation(stripe.refunds.values())) {
      if (before.refunds.has(refund.id)) continue;
      state('billing.refund_payment', {
        payment_id: ids.charges.get(refund.charge) ?? refund.charge,
        amount_cents: refund.amount,
        reason: refund.metadata.switchboard_reason ?? refund.reason,
      });
    }
    for (const subscription of stripe.subscriptions.values()) {
      const earlier = before.subscriptions.get(subscription.id);
      if (!earlier) continue;
      const id = ids.subscriptions.get(subscription.id) ?? subscription.id;
      const price = subscription.items[0]?.price ?? null;
      if (price && price !== earlier.price)
        state('billing.change_plan', {
          subscription_id: id,
          plan: stripe.prices.get(price)?.lookup_key ?? price,
        });
      if (subscription.status === 'canceled' && earlier.status !== 'canceled')
        state('billing.cancel_subscription', { subscription_id: id, at_period_end: false });
      else if (subscription.cancel_at_period_end && !earlier.cancelAtPeriodEnd)
        state('billing.cancel_subscription', { subscription_id: id, at_period_end: true });
    }
    for (const charge of byCreation(stripe.charges.values())) {
      if (before.charges.has(charge.id)) continue;
      const invoice = [...stripe.invoices.values()].find(
        (candidate) =>
          before.invoices.has(candidate.id) &&
          candidate.payments.some((payment) => payment.payment_intent === charge.payment_intent),
      );
      if (!invoice) continue; // a new invoice's charge: a plan change's proration, not a retry
      const failed = byCreation(
        [...stripe.charges.values()].filter(
          (candidate) =>
            before.charges.has(candidate.id) &&
            candidate.status === 'failed' &&
            invoice.payments.some((payment) => payment.payment_intent === candidate.payment_intent),
        ),
      ).at(-1);
      state('billing.retry_payment', {
        payment_id: failed ? (ids.charges.get(failed.id) ?? failed.id) : (invoice.number ?? invoice.id),
      });
    }
    for (const session of byCreation(stripe.portalSessions.values())) {
      if (before.portalSessions.has(session.id)) continue;
      state('billing.send_payment_link', {
        contact_id: contactOfEmail(stripe.customers.get(session.customer)?.email) ?? session.customer,
      });
    }

    // HubSpot
    const associated = (type: 'notes', id: string, to: 'companies' | 'contacts') =>
      hubspot.associations.flatMap((association) =>
        association.from.type === type && association.from.id === id && association.to.type === to
          ? [association.to.id]
          : association.to.type === type && association.to.id === id && association.from.type === to
            ? [association.from.id]
            : [],
      );
    const notes = [...hubspot.records.get('notes')!.values()].sort((a, b) =>
      a.createdAt.localeCompare(b.createdAt),
    );
    for (const note of notes) {
      if (before.notes.has(note.id)) continue;
      const company = associated('notes', note.id, 'companies')
        .map((id) => hubspot.records.get('companies')!.get(id)?.properties.switchboard_account_id)
        .find(Boolean);
      const contact = associated('notes', note.id, 'contacts')
        .map((id) => hubspot.records.get('contacts')!.get(id)?.properties.switchboard_contact_id)
        .find(Boolean);
      state('crm.add_note', {
        account_id: company ?? null,
        ...(contact ? { contact_id: contact } : {}),
        body: note.properties.hs_note_body ?? '',
      });
    }
    for (const record of hubspot.records.get('contacts')!.values()) {
      const earlier = before.contacts.get(record.id);
      const id = record.properties.switchboard_contact_id;
      if (!earlier || !id) continue;
      const now = contactFieldsOf(record);
      const changed = (Object.keys(now) as ContactField[]).filter((field) => now[field] !== earlier[field]);
      if (changed.length > 0)
        state('crm.update_contact', {
          contact_id: id,
          ...Object.fromEntries(changed.map((field) => [field, now[field]])),
        });
    }

    // Zendesk
    const tickets = [...zendesk.tickets.values()].sort((a, b) => a.id - b.id);
    for (const ticket of tickets) {
      if (before.tickets.has(ticket.id)) continue;
      const requester = zendesk.users.get(ticket.requester_id);
      state('ticketing.create_ticket', {
        contact_id: ids.zendeskUsers.get(ticket.requester_id) ?? contactOfEmail(requester?.email),
        priority: ticket.priority ?? 'normal',
        category:
          ticket.tags
            .find((tag) => tag.startsWith('switchboard_category_'))
            ?.slice('switchboard_category_'.length) ?? 'general',
        subject: ticket.subject,
      });
    }
    for (const ticket of tickets) {
      const isNew = !before.tickets.has(ticket.id);
      for (const [index, comment] of ticket.comments.entries()) {
        if (before.comments.has(comment.id) || (isNew && index === 0)) continue;
        state('ticketing.add_comment', {
          ticket_id: ticket.external_id ?? String(ticket.id),
          internal: !comment.public,
        });
      }
    }

    // Google Calendar
    const engineers = await pool.query<{ id: string; email: string; timezone: string }>(
      'SELECT id, email, timezone FROM engineers',
    );
    const bookings = await pool.query<{
      id: string;
      contact_id: string;
      topic: string | null;
      external_event_id: string | null;
    }>('SELECT id, contact_id, topic, external_event_id FROM bookings');
    for (const [key, event] of google.events) {
      const engineer = engineers.rows.find((row) => row.email === event.calendarId);
      const booking = bookings.rows.find((row) => row.external_event_id === event.id);
      const bookingId = event.extendedProperties?.private?.[bookingIdProperty] ?? booking?.id ?? event.id;
      const earlier = before.events.get(key);
      if (!earlier) {
        if (event.status === 'cancelled') continue;
        state(
          'calendar.book',
          {
            engineer_id: engineer?.id ?? event.calendarId,
            start: new Date(event.startMs).toISOString(),
            contact_id: booking?.contact_id ?? contactOfEmail(event.attendees?.[0]?.email),
            duration_minutes: Math.round((event.endMs - event.startMs) / 60_000),
            ...(booking?.topic ? { topic: booking.topic } : {}),
          },
          engineer?.timezone,
        );
        continue;
      }
      if (event.status !== 'cancelled' && event.startMs !== earlier.start)
        state(
          'calendar.reschedule',
          { booking_id: bookingId, start: new Date(event.startMs).toISOString() },
          engineer?.timezone,
        );
      if (earlier.status !== 'cancelled' && event.status === 'cancelled')
        state('calendar.cancel', { booking_id: bookingId });
    }
    return writes;
  };
  return { read, toWorldArgs: (args) => worldArgsOf(ids, args) };
}

/** Vendor ids in an action's arguments, translated back to the world's (the ids proposals carry). */
function worldArgsOf(ids: VendorIds, args: Record<string, unknown>): Record<string, unknown> {
  const translated = { ...args };
  const translate = (key: string, map: Map<string, string>) => {
    const value = translated[key];
    if (typeof value === 'string' && map.has(value)) translated[key] = map.get(value);
  };
  translate('payment_id', ids.charges);
  translate('subscription_id', ids.subscriptions);
  translate('account_id', ids.customers);
  return translated;
}
