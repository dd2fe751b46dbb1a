import type { Queryable } from '../db/database.ts';
import type { ObservedWrite, WorldSnapshot } from './end-state.ts';
import { isWriteOperationName } from './write-operations.ts';

/** Tables whose new rows are writes (compared by id with the snapshot). */
export const trackedTables = [
  'refunds',
  'plan_changes',
  'payment_retries',
  'payment_links',
  'tickets',
  'ticket_comments',
  'interactions',
] as const;
export type TrackedTable = (typeof trackedTables)[number];

export const contactFields = ['name', 'email', 'phone', 'title', 'timezone'] as const;
export type ContactField = (typeof contactFields)[number];

/** Every write since the snapshot, named by its canonical operation (the table in docs/evals.md). */
export async function readWrites(db: Queryable, snapshot: WorldSnapshot): Promise<ObservedWrite[]> {
  const writes: ObservedWrite[] = [];
  const fresh = async <Row extends { id: string }>(table: TrackedTable, sql: string): Promise<Row[]> => {
    const { rows } = await db.query<Row>(sql);
    return rows.filter((row) => !snapshot.newRowIdsAfter[table].has(String(row.id)));
  };
  const state = (op: string, args: Record<string, unknown>, zone?: string) =>
    writes.push({ op, args, source: 'state', ...(zone ? { zone } : {}) });

  type Refund = { id: string; payment_id: string; amount_cents: number; reason: string };
  for (const row of await fresh<Refund>(
    'refunds',
    'SELECT id, payment_id, amount_cents, reason FROM refunds ORDER BY created_at, id',
  ))
    state('billing.refund_payment', {
      payment_id: row.payment_id,
      amount_cents: row.amount_cents,
      reason: row.reason,
    });

  type PlanChange = { id: string; subscription_id: string; to_plan: string };
  for (const row of await fresh<PlanChange>(
    'plan_changes',
    'SELECT id, subscription_id, to_plan FROM plan_changes ORDER BY created_at, id',
  ))
    state('billing.change_plan', { subscription_id: row.subscription_id, plan: row.to_plan });

  const subscriptions = await db.query<{ id: string; status: string; cancel_at_period_end: boolean }>(
    'SELECT id, status, cancel_at_period_end FROM subscriptions ORDER BY id',
  );
  for (const row of subscriptions.rows) {
    const before = snapshot.subscriptions.get(row.id);
    if (!before) continue;
    if (row.status === 'cancelled' && before.status !== 'cancelled')
      state('billing.cancel_subscription', { subscription_id: row.id, at_period_end: false });
    else if (row.cancel_at_period_end && !before.cancel_at_period_end)
      state('billing.cancel_subscription', { subscription_id: row.id, at_period_end: true });
  }

  type Retry = { id: string; payment_id: string };
  for (const row of await fresh<Retry>(
    'payment_retries',
    'SELECT id, payment_id FROM payment_retries ORDER BY created_at, id',
  ))
    state('billing.retry_payment', { payment_id: row.payment_id });

  type Link = { id: string; contact_id: string };
  for (const row of await fresh<Link>(
    'payment_links',
    'SELECT id, contact_id FROM payment_links ORDER BY created_at, id',
  ))
    state('billing.send_payment_link', { contact_id: row.contact_id });

  type Booking = {
    id: string;
    engineer_id: string;
    contact_id: string;
    start_at: Date;
    end_at: Date;
    status: string;
    topic: string | null;
  };
  const bookings = await db.query<Booking>(
    'SELECT id, engineer_id, contact_id, start_at, end_at, status, topic FROM bookings ORDER BY created_at, id',
  );
  const zones = await db.query<{ id: string; timezone: string }>('SELECT id, timezone FROM engineers');
  const zoneOf = (engineerId: string) =>
    zones.rows.find((row) => row.id === engineerId)?.timezone ?? snapshot.engineerZones.get(engineerId);
  for (const row of bookings.rows) {
    const start = new Date(row.start_at);
    const before = snapshot.bookings.get(row.id);
    if (!before) {
      if (row.status === 'cancelled') continue;
      state(
        'calendar.book',
        {
          engineer_id: row.engineer_id,
          start: start.toISOString(),
          contact_id: row.contact_id,
          duration_minutes: Math.round((new Date(row.end_at).getTime() - start.getTime()) / 60_000),
          ...(row.topic ? { topic: row.topic } : {}),
        },
        zoneOf(row.engineer_id),
      );
      continue;
    }
    if (before.start !== start.getTime())
      state(
        'calendar.reschedule',
        { booking_id: row.id, start: start.toISOString() },
        zoneOf(row.engineer_id),
      );
    if (before.status !== 'cancelled' && row.status === 'cancelled')
      state('calendar.cancel', { booking_id: row.id });
  }

  type Ticket = {
    id: string;
    contact_id: string | null;
    priority: string;
    category: string;
    subject: string;
  };
  for (const row of await fresh<Ticket>(
    'tickets',
    'SELECT id, contact_id, priority, category, subject FROM tickets ORDER BY created_at, id',
  ))
    state('ticketing.create_ticket', {
      contact_id: row.contact_id,
      priority: row.priority,
      category: row.category,
      subject: row.subject,
    });

  type Comment = { id: string; ticket_id: string; internal: boolean };
  for (const row of await fresh<Comment>(
    'ticket_comments',
    'SELECT id, ticket_id, internal FROM ticket_comments ORDER BY created_at, id',
  ))
    state('ticketing.add_comment', { ticket_id: row.ticket_id, internal: row.internal });

  const contacts = await db.query<{ id: string } & Record<ContactField, string | null>>(
    `SELECT id, ${contactFields.join(', ')} FROM contacts ORDER BY id`,
  );
  for (const { id, ...now } of contacts.rows) {
    const before = snapshot.contacts.get(id);
    if (!before) continue;
    const changed = contactFields.filter((field) => (now[field] ?? null) !== (before[field] ?? null));
    if (changed.length > 0)
      state('crm.update_contact', {
        contact_id: id,
        ...Object.fromEntries(changed.map((field) => [field, now[field]])),
      });
  }

  type Note = { id: string; account_id: string; contact_id: string | null; body: string };
  const notes = await fresh<Note>(
    'interactions',
    `SELECT id, account_id, contact_id, body FROM interactions WHERE kind = 'note' ORDER BY created_at, id`,
  );
  for (const row of notes)
    state('crm.add_note', {
      account_id: row.account_id,
      ...(row.contact_id ? { contact_id: row.contact_id } : {}),
      body: row.body,
    });

  writes.push(...(await readUncataloguedWrites(db, snapshot)));
  return writes;
}

/**
 * Writes with no canonical name (e.g. a ticket status change, a credit) show only in the audit log:
 * successful write calls of any connector but email (emails are checked on their own), one per
 * idempotency key so a retried call counts once.
 */
export async function readUncataloguedWrites(
  db: Queryable,
  snapshot: WorldSnapshot,
): Promise<ObservedWrite[]> {
  const { rows } = await db.query<{ connector_id: string; operation: string; key: string }>(
    `SELECT connector_id, operation, COALESCE(idempotency_key, id::text) AS key FROM audit_log
     WHERE id > $1 AND effect = 'write' AND outcome = 'ok' AND connector_id <> 'email'
     ORDER BY id`,
    [snapshot.lastAuditId],
  );
  const seen = new Set<string>();
  const writes: ObservedWrite[] = [];
  for (const row of rows) {
    const op = `${row.connector_id}.${row.operation}`;
    if (isWriteOperationName(op) || seen.has(`${op}:${row.key}`)) continue;
    seen.add(`${op}:${row.key}`);
    writes.push({ op, args: {}, source: 'audit' });
  }
  return writes;
}
