import type pg from 'pg';
import { z } from 'zod';
import { billing } from '../../connectors/contracts.ts';
import type { Queryable } from '../../db/database.ts';
import {
  type CannedReply,
  type InboxConversation,
  type InboxItem,
  type InboxNote,
  type InboxQuery,
  type InboxResponse,
  type RenderedReply,
  type Sidebar,
  type StaffResponse,
  templateVariables,
} from '../contract/console-inbox.ts';
import { ApiError } from '../errors.ts';
import {
  loadCustomerPanel,
  loadTranscript,
  type PanelReader,
  readSection,
  staffSession,
} from './console-queries.ts';

/**
 * What the console inbox reads: the conversation list (filters, full-text search, unread counts,
 * cursor pages), one conversation with its notes, the staff with presence, canned replies filled in
 * for a conversation, and the customer sidebar.
 */

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

/** The text search configuration of the search and of the index of migration 0030: they must match. */
const searchConfig = 'english';
const messageVector = `to_tsvector('${searchConfig}', m.body)`;

/** A staff member's console event stream refreshes its presence row this often… */
export const presenceHeartbeatMs = 30_000;
/** …and counts as online while its row is younger than this. */
const onlineWithinSeconds = 75;
/** A session used this recently (and no console open) is `away`. */
const awayWithinMinutes = 15;

/**
 * Every conversation with what the inbox shows of it, for staff member $1. The escalation is the
 * live one (open or claimed), else the latest; the owner is whoever holds the live escalation's claim
 * (the one who may reply: the queue's own claim sets no assignee), else the assignee. Unread customer messages count only while the conversation is not resolved.
 */
const inboxBase = `
  SELECT c.id, c.channel, c.status, c.subject, c.created_at, c.verified, c.assigned_team_id,
         ct.id AS contact_id, ct.name AS contact_name, ct.email AS contact_email, a.name AS account_name,
         e.id AS escalation_id, e.reason, e.priority, e.status AS escalation_status, e.claimed_by,
         eh.name AS claimed_by_name, e.sla_due_at, e.sla_breached_at,
         COALESCE(CASE WHEN e.status IN ('open','claimed') THEN e.claimed_by END, c.assignee_id) AS owner_id,
         CASE WHEN c.status IN ('resolved','closed') THEN 'resolved'
              WHEN e.status = 'claimed' THEN 'claimed'
              WHEN e.status = 'open' THEN 'escalated'
              ELSE 'agent' END AS state,
         lm.id AS last_id, lm.role AS last_role, lm.body AS last_body, lm.created_at AS last_at,
         CASE WHEN c.status IN ('resolved','closed') THEN 0 ELSE
           (SELECT count(*) FROM messages um WHERE um.conversation_id = c.id AND um.role = 'customer'
               AND um.id > COALESCE(r.last_message_id, 0)) END::int AS unread,
         (SELECT count(*) FROM conversation_notes n WHERE n.conversation_id = c.id AND $1 = ANY(n.mentions)
             AND n.id > COALESCE(r.last_note_id, 0))::int AS unread_mentions
    FROM conversations c
    LEFT JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN accounts a ON a.id = COALESCE(c.account_id, ct.account_id)
    LEFT JOIN LATERAL (
      SELECT * FROM escalations e WHERE e.conversation_id = c.id
       ORDER BY (e.status IN ('open','claimed')) DESC, e.created_at DESC, e.id DESC LIMIT 1) e ON true
    LEFT JOIN human_agents eh ON eh.id = e.claimed_by
    LEFT JOIN LATERAL (
      SELECT m.id, m.role, m.body, m.created_at FROM messages m
       WHERE m.conversation_id = c.id AND m.role <> 'system' ORDER BY m.id DESC LIMIT 1) lm ON true
    LEFT JOIN inbox_reads r ON r.human_id = $1 AND r.conversation_id = c.id`;

/** The names the rows carry ids of (owner, team), joined once the page is chosen. */
const inboxNames = `
  SELECT b.*, oh.name AS owner_name, t.name AS team_name
    FROM page b
    LEFT JOIN human_agents oh ON oh.id = b.owner_id
    LEFT JOIN teams t ON t.id = b.assigned_team_id`;

interface InboxRow {
  id: string;
  channel: 'chat' | 'email';
  status: string;
  subject: string | null;
  created_at: Date;
  verified: boolean;
  assigned_team_id: string | null;
  team_name: string | null;
  contact_id: string | null;
  contact_name: string | null;
  contact_email: string | null;
  account_name: string | null;
  escalation_id: string | null;
  reason: NonNullable<InboxItem['escalation']>['reason'] | null;
  priority: NonNullable<InboxItem['escalation']>['priority'] | null;
  escalation_status: NonNullable<InboxItem['escalation']>['status'] | null;
  claimed_by: string | null;
  claimed_by_name: string | null;
  sla_due_at: Date | null;
  sla_breached_at: Date | null;
  owner_id: string | null;
  owner_name: string | null;
  state: InboxItem['state'];
  last_id: string | null;
  last_role: string | null;
  last_body: string | null;
  last_at: Date | null;
  unread: number;
  unread_mentions: number;
  rank?: number | null;
  match?: string | null;
}

/** A list line's text: one line, at most 160 characters. */
const snippet = (text: string): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
};

function toItem(row: InboxRow): InboxItem {
  return {
    conversationId: row.id,
    channel: row.channel,
    state: row.state,
    conversationStatus: row.status,
    subject: row.subject,
    createdAt: iso(row.created_at)!,
    lastMessage:
      row.last_at && row.last_role
        ? { role: row.last_role, text: snippet(row.last_body ?? ''), at: iso(row.last_at)! }
        : null,
    customer: {
      contactId: row.contact_id,
      name: row.contact_name,
      email: row.contact_email,
      accountName: row.account_name,
      verified: row.verified,
    },
    assignee: row.owner_id ? { id: row.owner_id, name: row.owner_name ?? row.owner_id } : null,
    team: row.assigned_team_id
      ? { id: row.assigned_team_id, name: row.team_name ?? row.assigned_team_id }
      : null,
    escalation:
      row.escalation_id && row.reason && row.priority && row.escalation_status
        ? {
            id: row.escalation_id,
            reason: row.reason,
            priority: row.priority,
            status: row.escalation_status,
            claimedBy: row.claimed_by
              ? { id: row.claimed_by, name: row.claimed_by_name ?? row.claimed_by }
              : null,
            slaDueAt: iso(row.sla_due_at),
            slaBreached: row.sla_breached_at !== null,
          }
        : null,
    unread: row.unread,
    unreadMentions: row.unread_mentions,
    ...(row.rank === undefined || row.rank === null ? {} : { rank: Number(row.rank) }),
    ...(row.match ? { match: snippet(row.match) } : {}),
  };
}

/**
 * A page position. Without a search the list is in order of last activity (the last message's id,
 * then the conversation's id) and the cursor is that key, so a new message never shifts a later page;
 * a search is in order of rank, and its cursor is an offset.
 */
const cursorSchema = z.union([
  z.strictObject({ k: z.number().int().min(0), id: z.string().min(1).max(200) }),
  z.strictObject({ o: z.number().int().min(0).max(10_000) }),
]);
type Cursor = z.infer<typeof cursorSchema>;

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(text: string, searching: boolean): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const cursor = cursorSchema.safeParse(parsed);
  if (!cursor.success || 'o' in cursor.data !== searching)
    throw new ApiError('validation_failed', 'cursor: not a cursor this list gave (it depends on q)');
  return cursor.data;
}

/** Collects query parameters: `add(value)` returns its `$n`. */
function parameters(first: unknown[]) {
  const values = [...first];
  return {
    values,
    add(value: unknown): string {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

/**
 * Whether a search text has any word to search for: web-search syntax never fails, but a text of
 * stop words only ("the", "or") is an empty query that would match nothing — a 400 says so.
 */
async function assertSearchable(db: Queryable, q: string): Promise<void> {
  const { rows } = await db.query<{ nodes: number }>(
    `SELECT numnode(websearch_to_tsquery('${searchConfig}', $1)) AS nodes`,
    [q],
  );
  if (!rows[0] || Number(rows[0].nodes) === 0)
    throw new ApiError('validation_failed', `q: "${q}" has no word to search for (only common words)`);
}

/** The inbox: filtered, searched, one page, with the unread counts of the whole inbox. */
export async function listInbox(pool: pg.Pool, query: InboxQuery, humanId: string): Promise<InboxResponse> {
  const searching = query.q !== undefined;
  if (query.q !== undefined) await assertSearchable(pool, query.q);
  const cursor = query.cursor ? decodeCursor(query.cursor, searching) : null;
  const p = parameters([humanId]);
  const where: string[] = [];
  if (query.state) where.push(`b.state = ANY(${p.add(query.state)}::text[])`);
  if (query.channel) where.push(`b.channel = ANY(${p.add(query.channel)}::text[])`);
  if (query.reason) where.push(`b.reason = ANY(${p.add(query.reason)}::text[])`);
  if (query.priority) where.push(`b.priority = ANY(${p.add(query.priority)}::text[])`);
  if (query.assignee === 'me') where.push('b.owner_id = $1');
  else if (query.assignee === 'none') where.push('b.owner_id IS NULL');
  else if (query.assignee) where.push(`b.owner_id = ${p.add(query.assignee)}`);
  if (query.team) where.push(`b.assigned_team_id = ${p.add(query.team)}`);
  if (query.from) where.push(`b.created_at >= ${p.add(query.from)}::timestamptz`);
  if (query.to) where.push(`b.created_at < ${p.add(query.to)}::timestamptz`);
  if (query.unread === 'true') where.push('(b.unread > 0 OR b.unread_mentions > 0)');
  let search = '';
  let order = 'COALESCE(b.last_id, 0) DESC, b.id DESC';
  if (query.q !== undefined) {
    const tsquery = `websearch_to_tsquery('${searchConfig}', ${p.add(query.q)})`;
    // The IN list is what the GIN index answers; the lateral ranks the matching lines of each hit.
    where.push(
      `b.id IN (SELECT m.conversation_id FROM messages m WHERE ${messageVector} @@ ${tsquery} AND m.role <> 'system')`,
    );
    search = `, LATERAL (
        SELECT ts_rank(${messageVector}, ${tsquery}) AS rank,
               ts_headline('${searchConfig}', m.body, ${tsquery}, 'StartSel=«, StopSel=», MaxWords=24, MinWords=8') AS match
          FROM messages m WHERE m.conversation_id = b.id AND m.role <> 'system' AND ${messageVector} @@ ${tsquery}
         ORDER BY 1 DESC, m.id DESC LIMIT 1) s`;
    order = 's.rank DESC, COALESCE(b.last_id, 0) DESC, b.id DESC';
  }
  let offset = 0;
  if (cursor && 'k' in cursor)
    where.push(`(COALESCE(b.last_id, 0), b.id) < (${p.add(cursor.k)}::bigint, ${p.add(cursor.id)}::text)`);
  else if (cursor && 'o' in cursor) offset = cursor.o;
  const limit = p.add(query.limit + 1);
  const { rows } = await pool.query<InboxRow>(
    `WITH base AS (${inboxBase}),
     page AS (
       SELECT b.*${searching ? ', s.rank, s.match' : ''} FROM base b${search}
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${order} LIMIT ${limit} OFFSET ${p.add(offset)})
     ${inboxNames} ORDER BY ${order.replaceAll('s.rank', 'b.rank')}`,
    p.values,
  );
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor =
    more && last
      ? encodeCursor(searching ? { o: offset + page.length } : { k: Number(last.last_id ?? 0), id: last.id })
      : null;
  return { conversations: page.map(toItem), nextCursor, unread: await unreadTotals(pool, humanId) };
}

/** Over the whole inbox: conversations with unread customer messages (all, and mine), and mentions. */
async function unreadTotals(pool: pg.Pool, humanId: string): Promise<InboxResponse['unread']> {
  const { rows } = await pool.query<{ conversations: number; mine: number; mentions: number }>(
    `WITH base AS (${inboxBase})
     SELECT count(*) FILTER (WHERE unread > 0)::int AS conversations,
            count(*) FILTER (WHERE unread > 0 AND owner_id = $1)::int AS mine,
            COALESCE(sum(unread_mentions), 0)::int AS mentions
       FROM base`,
    [humanId],
  );
  return rows[0]!;
}

/** One conversation as a list item, or null. */
export async function loadInboxItem(
  db: Queryable,
  conversationId: string,
  humanId: string,
): Promise<InboxItem | null> {
  const { rows } = await db.query<InboxRow>(
    `WITH base AS (${inboxBase}), page AS (SELECT * FROM base WHERE id = $2) ${inboxNames}`,
    [humanId, conversationId],
  );
  return rows[0] ? toItem(rows[0]) : null;
}

/** A conversation's internal notes, oldest first, with the names of the staff they mention. */
export async function loadNotes(db: Queryable, conversationId: string): Promise<InboxNote[]> {
  const { rows } = await db.query<{
    id: string;
    body: string;
    author_id: string | null;
    author_name: string | null;
    mentions: Array<{ id: string; name: string }> | null;
    created_at: Date;
  }>(
    `SELECT n.id::text AS id, n.body, n.author_id, h.name AS author_name, n.created_at,
            (SELECT json_agg(json_build_object('id', m.id, 'name', m.name) ORDER BY m.name)
               FROM human_agents m WHERE m.id = ANY(n.mentions)) AS mentions
       FROM conversation_notes n LEFT JOIN human_agents h ON h.id = n.author_id
      WHERE n.conversation_id = $1 ORDER BY n.id`,
    [conversationId],
  );
  return rows.map((row) => ({
    id: row.id,
    text: row.body,
    author: row.author_id ? { id: row.author_id, name: row.author_name ?? row.author_id } : null,
    mentions: row.mentions ?? [],
    createdAt: iso(row.created_at)!,
  }));
}

/** The conversation view: its list item (read before it is marked read), transcript and notes. */
export async function loadInboxConversation(
  pool: pg.Pool,
  conversationId: string,
  humanId: string,
): Promise<InboxConversation | null> {
  const item = await loadInboxItem(pool, conversationId, humanId);
  if (!item) return null;
  const [transcript, notes] = await Promise.all([
    loadTranscript(pool, conversationId),
    loadNotes(pool, conversationId),
  ]);
  return { item, transcript, notes };
}

/** Every staff member with presence and teams, and every team with its members. */
export async function listStaff(pool: pg.Pool): Promise<StaffResponse> {
  const { rows } = await pool.query<{
    id: string;
    name: string;
    email: string;
    role: 'agent' | 'admin';
    online: boolean;
    away: boolean;
    teams: Array<{ id: string; name: string }> | null;
  }>(
    `SELECT h.id, h.name, h.email, h.role,
            EXISTS (SELECT 1 FROM staff_presence p WHERE p.human_id = h.id
                      AND p.seen_at > now() - make_interval(secs => $1)) AS online,
            EXISTS (SELECT 1 FROM human_sessions s WHERE s.human_id = h.id AND s.expires_at > now()
                      AND s.last_seen_at > now() - make_interval(mins => $2)) AS away,
            (SELECT json_agg(json_build_object('id', t.id, 'name', t.name) ORDER BY t.name)
               FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE tm.human_id = h.id) AS teams
       FROM human_agents h ORDER BY h.name, h.id`,
    [onlineWithinSeconds, awayWithinMinutes],
  );
  const { rows: teams } = await pool.query<{ id: string; name: string; members: string[] | null }>(
    `SELECT t.id, t.name, array_remove(array_agg(tm.human_id ORDER BY tm.human_id), NULL) AS members
       FROM teams t LEFT JOIN team_members tm ON tm.team_id = t.id GROUP BY t.id, t.name ORDER BY t.name`,
  );
  return {
    staff: rows.map((row) => ({
      id: row.id,
      name: row.name,
      email: row.email,
      role: row.role,
      handle: row.email.split('@')[0]!.toLowerCase(),
      presence: row.online ? 'online' : row.away ? 'away' : 'offline',
      teams: row.teams ?? [],
    })),
    teams: teams.map((team) => ({ ...team, members: team.members ?? [] })),
  };
}

interface CannedRow {
  id: string;
  title: string;
  body: string;
  updated_at: Date;
}

export const toCannedReply = (row: CannedRow): CannedReply => ({
  id: row.id,
  title: row.title,
  body: row.body,
  variables: templateVariables(row.body),
  updatedAt: iso(row.updated_at)!,
});

export async function listCannedReplies(db: Queryable): Promise<CannedReply[]> {
  const { rows } = await db.query<CannedRow>(
    'SELECT id, title, body, updated_at FROM canned_replies ORDER BY title',
  );
  return rows.map(toCannedReply);
}

/**
 * A canned reply filled in for a conversation: the customer's values come from the conversation's
 * own contact and account rows (never from the request), the agent's from the signed-in staff member.
 */
export async function renderCannedReply(
  pool: pg.Pool,
  replyId: string,
  conversationId: string,
  agent: { name: string },
): Promise<RenderedReply | null> {
  const { rows: replies } = await pool.query<{ body: string }>(
    'SELECT body FROM canned_replies WHERE id = $1',
    [replyId],
  );
  if (!replies[0]) return null;
  const { rows } = await pool.query<{
    id: string;
    subject: string | null;
    contact_name: string | null;
    contact_email: string | null;
    account_name: string | null;
  }>(
    `SELECT c.id, c.subject, ct.name AS contact_name, ct.email AS contact_email, a.name AS account_name
       FROM conversations c LEFT JOIN contacts ct ON ct.id = c.contact_id
       LEFT JOIN accounts a ON a.id = COALESCE(c.account_id, ct.account_id) WHERE c.id = $1`,
    [conversationId],
  );
  const conversation = rows[0];
  if (!conversation) throw new ApiError('not_found', `No conversation ${conversationId}`);
  const firstName = (name: string | null) => name?.trim().split(/\s+/)[0] || null;
  const values: Record<string, string | null> = {
    'customer.name': conversation.contact_name,
    'customer.first_name': firstName(conversation.contact_name),
    'customer.email': conversation.contact_email,
    'account.name': conversation.account_name,
    'agent.name': agent.name,
    'agent.first_name': firstName(agent.name),
    'conversation.id': conversation.id,
    'conversation.subject': conversation.subject,
  };
  const missing = new Set<string>();
  const text = replies[0].body.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (_whole, name: string) => {
    const value = values[name];
    if (!value) missing.add(name);
    return value ?? '';
  });
  return { text, missing: [...missing] };
}

/**
 * The customer sidebar: the profile, plan, invoices and tickets read through the connector gateway as
 * the signed-in staff member (the console's panel, loadCustomerPanel), the account's payments with
 * their refunds (billing.list_payments through the same gateway), and the customer's earlier
 * conversations. Only for a verified conversation, and only for its own contact and account as the
 * conversation row stores them: nothing of the request chooses whose data is read.
 */
export async function loadSidebar(
  pool: pg.Pool,
  reader: PanelReader,
  conversationId: string,
): Promise<Sidebar | null> {
  const { rows } = await pool.query<{
    verified: boolean;
    contact_id: string | null;
    account_id: string | null;
    tier: string | null;
  }>(
    `SELECT c.verified, ct.id AS contact_id, a.id AS account_id, a.tier
       FROM conversations c LEFT JOIN contacts ct ON ct.id = c.contact_id
       LEFT JOIN accounts a ON a.id = COALESCE(c.account_id, ct.account_id) WHERE c.id = $1`,
    [conversationId],
  );
  const conversation = rows[0];
  if (!conversation) return null;
  const emptyPanel = {
    contact: null,
    account: null,
    subscription: null,
    invoices: [],
    tickets: [],
    billingEvents: [],
  };
  const { contact_id: contactId, account_id: accountId } = conversation;
  if (!conversation.verified || !contactId || !accountId) {
    return {
      verified: false,
      message: contactId
        ? 'The customer has not verified who they are in this conversation: nothing is read about them.'
        : 'An anonymous visitor: there is no customer to show.',
      panel: emptyPanel,
      payments: [],
      earlierConversations: [],
    };
  }
  const subject = { conversationId, contactId, accountId, tier: conversation.tier };
  const session = staffSession(reader, subject);
  const paymentRow = z.object({
    id: z.string(),
    invoiceId: z.string(),
    amountCents: z.number().int(),
    status: z.string(),
    refundedCents: z.number().int(),
    createdAt: z.string(),
  });
  const [panel, payments, earlier] = await Promise.all([
    loadCustomerPanel(pool, reader, subject),
    readSection(
      'billing',
      () => reader.gateway.call(session, billing.listPayments, { account_id: accountId, limit: 10 }),
      (data) =>
        (data.payments ?? []).map((payment) => ({
          id: payment.id,
          invoiceId: payment.invoice_id,
          amountCents: payment.amount_cents,
          status: payment.status,
          refundedCents: payment.refunded_cents,
          createdAt: payment.created_at,
        })),
      z.array(paymentRow),
      [],
    ),
    pool.query<{
      id: string;
      channel: 'chat' | 'email';
      status: string;
      subject: string | null;
      created_at: Date;
    }>(
      `SELECT id, channel, status, subject, created_at FROM conversations
        WHERE contact_id = $1 AND id <> $2 ORDER BY created_at DESC, id DESC LIMIT 10`,
      [contactId, conversationId],
    ),
  ]);
  return {
    verified: true,
    panel,
    payments: payments.value,
    paymentsStatus: payments.status,
    earlierConversations: earlier.rows.map((row) => ({
      id: row.id,
      channel: row.channel,
      status: row.status,
      subject: row.subject,
      createdAt: iso(row.created_at)!,
    })),
  };
}
