import type { Queryable } from '../db/database.ts';
import {
  type ContactField,
  contactFields,
  readUncataloguedWrites,
  readWrites,
  type TrackedTable,
  trackedTables,
} from './observed-writes.ts';

/**
 * The systems' state right after the world was loaded, so the writes a run made can be read off the
 * end state (new rows, changed rows) rather than taken from the agent's word.
 */
export interface WorldSnapshot {
  newRowIdsAfter: Record<TrackedTable, Set<string>>;
  contacts: Map<string, Record<ContactField, string | null>>;
  subscriptions: Map<string, { status: string; cancel_at_period_end: boolean }>;
  bookings: Map<string, { start: number; status: string; engineer_id: string }>;
  engineerZones: Map<string, string>;
  lastAuditId: number;
  emailIds: Set<string>;
}

/** One write that happened, as read from the end state. */
export interface ObservedWrite {
  op: string;
  args: Record<string, unknown>;
  /** The time zone a `start` without offset is read in (the engineer's). */
  zone?: string;
  /** `state`: a table shows it; `audit`: only an audit row does (a write with no canonical name). */
  source: 'state' | 'audit';
}

/** An email the run queued (the outbox is every email's way out). */
export interface OutboxEmail {
  to: string;
  subject: string;
  template: string | null;
  textBody: string;
}

/** What the checks look at after a run. */
export interface EndState {
  writes: ObservedWrite[];
  emails: OutboxEmail[];
  conversation: { status: string; outcome: string | null } | null;
  escalations: Array<{ reason: string; status: string }>;
  humanMessages: number;
}

async function ids(db: Queryable, table: string): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(`SELECT id::text AS id FROM ${table}`);
  return new Set(rows.map((row) => row.id));
}

/** Takes the snapshot; call it after the world is loaded and before the agent runs. */
export async function snapshotWorld(db: Queryable): Promise<WorldSnapshot> {
  const newRowIdsAfter = {} as Record<TrackedTable, Set<string>>;
  for (const table of trackedTables) newRowIdsAfter[table] = await ids(db, table);
  const contacts = await db.query<{ id: string } & Record<ContactField, string | null>>(
    `SELECT id, ${contactFields.join(', ')} FROM contacts`,
  );
  const subscriptions = await db.query<{ id: string; status: string; cancel_at_period_end: boolean }>(
    'SELECT id, status, cancel_at_period_end FROM subscriptions',
  );
  const bookings = await db.query<{ id: string; start_at: Date; status: string; engineer_id: string }>(
    'SELECT id, start_at, status, engineer_id FROM bookings',
  );
  const engineers = await db.query<{ id: string; timezone: string }>('SELECT id, timezone FROM engineers');
  const audit = await db.query<{ last: string | null }>('SELECT max(id)::text AS last FROM audit_log');
  return {
    newRowIdsAfter,
    contacts: new Map(contacts.rows.map(({ id, ...fields }) => [id, fields])),
    subscriptions: new Map(subscriptions.rows.map(({ id, ...rest }) => [id, rest])),
    bookings: new Map(
      bookings.rows.map((row) => [
        row.id,
        { start: new Date(row.start_at).getTime(), status: row.status, engineer_id: row.engineer_id },
      ]),
    ),
    engineerZones: new Map(engineers.rows.map((row) => [row.id, row.timezone])),
    lastAuditId: Number(audit.rows[0]?.last ?? 0),
    emailIds: await ids(db, 'email_outbox'),
  };
}

/**
 * Reads the end state of a run of `conversationId` against the snapshot taken before it. With
 * `readSystemWrites` (systems other than our tables) the canonical writes come from it; writes with
 * no canonical name still come from our audit log.
 */
export async function readEndState(
  db: Queryable,
  snapshot: WorldSnapshot,
  conversationId: string,
  readSystemWrites?: () => Promise<ObservedWrite[]>,
): Promise<EndState> {
  const conversation = await db.query<{ status: string; outcome: string | null }>(
    'SELECT status, outcome FROM conversations WHERE id = $1',
    [conversationId],
  );
  const escalations = await db.query<{ reason: string; status: string }>(
    'SELECT reason, status FROM escalations WHERE conversation_id = $1 ORDER BY created_at, id',
    [conversationId],
  );
  const human = await db.query<{ count: string }>(
    `SELECT count(*)::text AS count FROM messages WHERE conversation_id = $1 AND role = 'human'`,
    [conversationId],
  );
  const emails = await db.query<{
    id: string;
    to_address: string;
    subject: string;
    template: string | null;
    text_body: string;
  }>('SELECT id, to_address, subject, template, text_body FROM email_outbox ORDER BY created_at, id');
  return {
    writes: readSystemWrites
      ? [...(await readSystemWrites()), ...(await readUncataloguedWrites(db, snapshot))]
      : await readWrites(db, snapshot),
    emails: emails.rows
      .filter((row) => !snapshot.emailIds.has(row.id))
      .map((row) => ({
        to: row.to_address,
        subject: row.subject,
        template: row.template,
        textBody: row.text_body,
      })),
    conversation: conversation.rows[0] ?? null,
    escalations: escalations.rows,
    humanMessages: Number(human.rows[0]?.count ?? 0),
  };
}
