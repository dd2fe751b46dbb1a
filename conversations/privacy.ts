import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type pg from 'pg';
import { z } from 'zod';
import { emlPathFor } from '../connectors/email/transport.ts';
import { type Queryable, withTransaction } from '../db/database.ts';

/**
 * Privacy operations on one contact (docs/privacy.md): export everything Switchboard holds about
 * them as one JSON document, and erase it. conversations/ owns conversation state, so the
 * operations live here; they read and change the other tables that hold the contact (CRM rows of
 * the built-in backend, tickets, the audit log, the idempotency ledger, the outbox, the agent's
 * checkpoints, the knowledge index) directly through the database, in one transaction.
 *
 * Erasure deletes what nothing else depends on (conversations with their messages, escalations and
 * codes; checkpoints; outbox mail; CRM notes; payment links; knowledge articles naming the contact)
 * and anonymises what must stay for accounting or audit integrity: the contact row (bookings, refunds
 * and tickets point at it), tickets and their comments, audit rows and idempotency records keep their
 * ids, amounts, statuses and timestamps while every other text becomes `[erased]`.
 */

/** What replaces erased text. */
export const erasedMark = '[erased]';

/** The address an erased contact row keeps (the column is required and unique). */
export const erasedEmailOf = (contactId: string): string =>
  `erased+${contactId.toLowerCase().replace(/[^a-z0-9_.-]/g, '_')}@erased.invalid`;

/** The lower-cased address's SHA-256: how `privacy_erasures` recognises an erased contact's address. */
export const emailDigest = (email: string): string =>
  createHash('sha256').update(email.trim().toLowerCase()).digest('hex');

/** JSON keys whose string values survive erasure: ids, amounts, states and timestamps. */
const keptKey =
  /^(id|at|currency|status|outcome|kind|effect|operation|connector|error_kind|reason)$|(_id|Id|_ids|Ids|_at|At|_cents|Cents|amount|Amount)$/;

/**
 * A JSON value with every string replaced by `[erased]`, except under the keys of ids, amounts,
 * states and timestamps; numbers, booleans and nulls are kept. Applying it twice changes nothing.
 */
export function tombstone(value: unknown, key?: string): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') return key !== undefined && keptKey.test(key) ? value : erasedMark;
  if (Array.isArray(value)) return value.map((item) => tombstone(item, key));
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, tombstone(item, name)]));
  return erasedMark;
}

// ── The export document ──────────────────────────────────────────────────────────────────────────

const timestamp = z.string();
const jsonRecord = z.record(z.string(), z.unknown());

export const privacyMessageSchema = z.object({
  id: z.string(),
  role: z.enum(['customer', 'agent', 'human', 'system']),
  body: z.string(),
  /** The message's metadata: for inbound mail the stored original (sender, subject, headers, verdict). */
  metadata: jsonRecord,
  createdAt: timestamp,
});

export const privacyEscalationSchema = z.object({
  id: z.string(),
  reason: z.string(),
  priority: z.string(),
  status: z.string(),
  /** The escalation packet: identity, intent, connector calls, the pending action (approvals), transcript. */
  packet: jsonRecord,
  claimedBy: z.string().nullable(),
  createdAt: timestamp,
  claimedAt: timestamp.nullable(),
  resolvedAt: timestamp.nullable(),
});

export const privacyConversationSchema = z.object({
  id: z.string(),
  channel: z.enum(['chat', 'email']),
  status: z.string(),
  outcome: z.string().nullable(),
  subject: z.string().nullable(),
  verified: z.boolean(),
  verifiedBy: z.string().nullable(),
  verifiedChannel: z.string().nullable(),
  verifiedAt: timestamp.nullable(),
  /** The customer's access token: whether one was issued and its lifecycle (never the token or its hash). */
  accessToken: z.object({
    issued: z.boolean(),
    verified: z.boolean(),
    expiresAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
  }),
  /** How many agent checkpoints (the agent's memory of this conversation) are stored. */
  agentCheckpoints: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
  messages: z.array(privacyMessageSchema),
  escalations: z.array(privacyEscalationSchema),
});

export const privacyExportSchema = z.object({
  format: z.literal('switchboard.privacy-export.v1'),
  generatedAt: timestamp,
  contact: z.object({
    id: z.string(),
    accountId: z.string(),
    name: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    title: z.string().nullable(),
    timezone: z.string(),
    externalRef: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
  /** Set when the contact was erased (the rest of the document is what remains). */
  erasure: z.object({ erasedAt: timestamp, lastErasedAt: timestamp, erasedBy: z.string() }).nullable(),
  /** The contact's account; the owner fields only when the contact is its owner. */
  account: z
    .object({
      id: z.string(),
      name: z.string(),
      tier: z.string(),
      region: z.string(),
      contactIsOwner: z.boolean(),
      ownerName: z.string().nullable(),
      ownerEmail: z.string().nullable(),
      createdAt: timestamp,
    })
    .nullable(),
  conversations: z.array(privacyConversationSchema),
  /** One-time codes sent for the contact: metadata only (never the code or its hash). */
  verificationCodes: z.array(
    z.object({
      id: z.string(),
      conversationId: z.string(),
      purpose: z.string(),
      targetEmail: z.string().nullable(),
      attempts: z.number().int(),
      expiresAt: timestamp,
      consumedAt: timestamp.nullable(),
      createdAt: timestamp,
    }),
  ),
  /** Update-payment links sent to the contact: metadata only (never the token or its hash). */
  paymentLinks: z.array(
    z.object({ id: z.string(), expiresAt: timestamp, usedAt: timestamp.nullable(), createdAt: timestamp }),
  ),
  tickets: z.array(
    z.object({
      id: z.string(),
      subject: z.string(),
      description: z.string(),
      status: z.string(),
      priority: z.string(),
      category: z.string(),
      requesterEmail: z.string().nullable(),
      conversationId: z.string().nullable(),
      createdAt: timestamp,
      updatedAt: timestamp,
      comments: z.array(
        z.object({
          id: z.string(),
          author: z.string(),
          body: z.string(),
          internal: z.boolean(),
          createdAt: timestamp,
        }),
      ),
    }),
  ),
  /** CRM history about the contact (notes, calls, emails). */
  interactions: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      body: z.string(),
      author: z.string(),
      createdAt: timestamp,
    }),
  ),
  bookings: z.array(
    z.object({
      id: z.string(),
      engineerId: z.string(),
      startAt: timestamp,
      endAt: timestamp,
      status: z.string(),
      topic: z.string().nullable(),
      createdAt: timestamp,
    }),
  ),
  /** Connector calls made on the contact's behalf, and other audit rows that name them. */
  auditEntries: z.array(
    z.object({
      id: z.string(),
      at: timestamp,
      conversationId: z.string().nullable(),
      actor: z.string(),
      connectorId: z.string(),
      operation: z.string(),
      effect: z.string(),
      outcome: z.string(),
      errorKind: z.string().nullable(),
      idempotencyKey: z.string().nullable(),
      detail: jsonRecord,
    }),
  ),
  /** The idempotency ledger's records of writes made for the contact (a refund, an email). */
  idempotencyRecords: z.array(
    z.object({
      key: z.string(),
      connectorId: z.string(),
      operation: z.string(),
      status: z.string(),
      result: z.unknown(),
      createdAt: timestamp,
      completedAt: timestamp.nullable(),
    }),
  ),
  /** Mail Switchboard sent to the contact, or in their conversations. */
  outboxEmails: z.array(
    z.object({
      id: z.string(),
      messageId: z.string(),
      conversationId: z.string().nullable(),
      to: z.string(),
      from: z.string(),
      subject: z.string(),
      textBody: z.string(),
      template: z.string().nullable(),
      status: z.string(),
      createdAt: timestamp,
      sentAt: timestamp.nullable(),
    }),
  ),
  /** Knowledge articles whose title or body names the contact (address or id). */
  knowledgeDocuments: z.array(
    z.object({
      slug: z.string(),
      title: z.string(),
      url: z.string().nullable(),
      visibility: z.string(),
      updatedAt: timestamp,
    }),
  ),
});
export type PrivacyExport = z.infer<typeof privacyExportSchema>;

export const erasureCountsSchema = z.object({
  contact: z.number().int(),
  accountOwner: z.number().int(),
  conversations: z.number().int(),
  messages: z.number().int(),
  escalations: z.number().int(),
  verificationCodes: z.number().int(),
  checkpoints: z.number().int(),
  outboxEmails: z.number().int(),
  outboxFiles: z.number().int(),
  auditEntries: z.number().int(),
  idempotencyRecords: z.number().int(),
  tickets: z.number().int(),
  ticketComments: z.number().int(),
  interactions: z.number().int(),
  bookings: z.number().int(),
  paymentLinks: z.number().int(),
  knowledgeDocuments: z.number().int(),
});
export type ErasureCounts = z.infer<typeof erasureCountsSchema>;

export const erasureResultSchema = z.object({
  contactId: z.string(),
  /** The contact had been erased before: this run removed only what was left or came since. */
  alreadyErased: z.boolean(),
  erasedAt: timestamp,
  counts: erasureCountsSchema,
});
export type ErasureResult = z.infer<typeof erasureResultSchema>;

// ── Finding the contact ──────────────────────────────────────────────────────────────────────────

/** A contact by id, or by address (an erased contact's address is recognised by its digest). */
export type ContactReference = { contactId: string } | { email: string };

/** The contact cannot be found (404), or the confirmation does not name it (400). */
export class PrivacyError extends Error {
  override name = 'PrivacyError';
  constructor(
    readonly code: 'not_found' | 'confirmation_mismatch',
    message: string,
  ) {
    super(message);
  }
}

interface ContactRow {
  id: string;
  account_id: string;
  name: string;
  email: string;
  phone: string | null;
  title: string | null;
  timezone: string;
  external_ref: string | null;
  created_at: Date;
  updated_at: Date;
}

interface ErasureRow {
  email_sha256: string;
  erased_by: string;
  erased_at: Date;
  last_erased_at: Date;
}

/** The contact, its erasure record, and the address the data is matched by (unknown once erased). */
interface Subject {
  contact: ContactRow;
  erasure: ErasureRow | null;
  /** Lower-cased; null when the contact was erased and nobody presented its address. */
  email: string | null;
}

const iso = (value: Date | string): string => new Date(value).toISOString();
const isoOrNull = (value: Date | string | null): string | null => (value === null ? null : iso(value));

async function resolveSubject(db: Queryable, reference: ContactReference, lock = false): Promise<Subject> {
  const forUpdate = lock ? ' FOR UPDATE' : '';
  let contact: ContactRow | undefined;
  let presented: string | null = null;
  if ('contactId' in reference) {
    ({
      rows: [contact],
    } = await db.query<ContactRow>(`SELECT * FROM contacts WHERE id = $1${forUpdate}`, [
      reference.contactId,
    ]));
  } else {
    presented = reference.email.trim().toLowerCase();
    ({
      rows: [contact],
    } = await db.query<ContactRow>(`SELECT * FROM contacts WHERE lower(email) = $1${forUpdate}`, [
      presented,
    ]));
    if (!contact) {
      // Erased: the row keeps its id under a placeholder address; the digest finds it.
      ({
        rows: [contact],
      } = await db.query<ContactRow>(
        `SELECT c.* FROM privacy_erasures e JOIN contacts c ON c.id = e.contact_id
         WHERE e.email_sha256 = $1 ORDER BY e.erased_at DESC LIMIT 1${forUpdate}`,
        [emailDigest(presented)],
      ));
    }
  }
  if (!contact) throw new PrivacyError('not_found', 'No contact with that id or address');
  const { rows } = await db.query<ErasureRow>(
    'SELECT email_sha256, erased_by, erased_at, last_erased_at FROM privacy_erasures WHERE contact_id = $1',
    [contact.id],
  );
  const erasure = rows[0] ?? null;
  const email = erasure
    ? presented !== null && emailDigest(presented) === erasure.email_sha256
      ? presented
      : null
    : contact.email.toLowerCase();
  return { contact, erasure, email };
}

/**
 * Whether `confirmation` is the contact's address: the address on file, or for an erased contact
 * the address it had (by digest). Case and surrounding spaces do not matter.
 */
function confirms(subject: Subject, confirmation: string): boolean {
  const presented = confirmation.trim().toLowerCase();
  return subject.erasure
    ? emailDigest(presented) === subject.erasure.email_sha256
    : presented === subject.contact.email.toLowerCase();
}

// ── What concerns the contact ────────────────────────────────────────────────────────────────────

/** A regular expression matching `text` as a whole token (an id inside a longer id does not match). */
const tokenPattern = (text: string): string =>
  `(^|[^A-Za-z0-9_-])${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`;

/** The conversations that concern the contact, oldest first. */
async function conversationIdsOf(db: Queryable, subject: Subject): Promise<string[]> {
  // Theirs; those a one-time code for them was sent in; and, by their address, conversations without
  // a contact that their mail started or where a visitor typed it.
  const { rows } = await db.query<{ id: string }>(
    `SELECT c.id FROM conversations c
     WHERE c.contact_id = $1
        OR c.id IN (SELECT conversation_id FROM verification_codes WHERE contact_id = $1)
        OR ($2::text IS NOT NULL AND c.contact_id IS NULL AND EXISTS (
              SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.role = 'customer'
                AND (lower(m.metadata->>'from') = $2 OR strpos(lower(m.body), $2) > 0)))
     ORDER BY c.created_at, c.id`,
    [subject.contact.id, subject.email],
  );
  return rows.map((row) => row.id);
}

/** Whether the LangGraph checkpoint tables exist (PostgresSaver.setup() creates them at start). */
async function hasCheckpointTables(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(
    `SELECT to_regclass('checkpoints') IS NOT NULL AND to_regclass('checkpoint_blobs') IS NOT NULL
       AND to_regclass('checkpoint_writes') IS NOT NULL AS present`,
  );
  return rows[0]?.present === true;
}

interface AuditRecord {
  id: string;
  at: Date;
  conversation_id: string | null;
  actor: string;
  connector_id: string;
  operation: string;
  effect: string;
  outcome: string;
  error_kind: string | null;
  idempotency_key: string | null;
  detail: Record<string, unknown>;
}

/**
 * Audit rows of the contact's conversations, and any other row whose detail holds their id or
 * address as a value (e.g. a system lookup of their address, an alert about their mail). The
 * privacy operations' own rows are not the contact's data: they record what was done.
 */
async function auditRowsOf(db: Queryable, subject: Subject, conversationIds: string[]) {
  const { rows } = await db.query<AuditRecord>(
    `SELECT id::text AS id, at, conversation_id, actor, connector_id, operation, effect, outcome, error_kind,
       idempotency_key, detail
     FROM audit_log
     WHERE connector_id <> 'privacy'
       AND (conversation_id = ANY($1::text[])
         OR jsonb_path_exists(detail, '$.** ? (@ == $id || @ == $email || @ == $original)',
              jsonb_build_object('id', $2::text, 'email', coalesce($3, $2::text), 'original', $4::text)))
     ORDER BY id`,
    [
      conversationIds,
      subject.contact.id,
      subject.email,
      subject.erasure ? subject.contact.id : subject.contact.email,
    ],
  );
  return rows;
}

interface IdempotencyRecord {
  key: string;
  connector_id: string;
  operation: string;
  status: string;
  result: unknown;
  error: unknown;
  created_at: Date;
  completed_at: Date | null;
}

/** Ledger records of writes made for the contact: keyed by their conversation, or named by their audit rows. */
async function idempotencyRecordsOf(db: Queryable, conversationIds: string[], audit: AuditRecord[]) {
  const keys = audit.map((row) => row.idempotency_key).filter((key): key is string => key !== null);
  // connectors/core/pipeline.ts keys a write `<conversation id>:<connector>.<operation>:<digest>`.
  const { rows } = await db.query<IdempotencyRecord>(
    `SELECT key, connector_id, operation, status, result, error, created_at, completed_at FROM idempotency_keys
     WHERE key = ANY($1::text[]) OR split_part(key, ':', 1) = ANY($2::text[])
     ORDER BY created_at, key`,
    [keys, conversationIds],
  );
  return rows;
}

/** Tickets that concern the contact: theirs, from their conversations, or requested from their address. */
async function ticketIdsOf(db: Queryable, subject: Subject, conversationIds: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM tickets
     WHERE contact_id = $1 OR conversation_id = ANY($2::text[]) OR ($3::text IS NOT NULL AND lower(requester_email) = $3)
     ORDER BY created_at, id`,
    [subject.contact.id, conversationIds, subject.email],
  );
  return rows.map((row) => row.id);
}

/** Knowledge articles whose title or body holds the contact's address or id. */
async function knowledgeSlugsOf(db: Queryable, subject: Subject): Promise<string[]> {
  const { rows } = await db.query<{ slug: string }>(
    `SELECT slug FROM kb_articles
     WHERE ($1::text IS NOT NULL AND (strpos(lower(body), $1) > 0 OR strpos(lower(title), $1) > 0))
        OR body ~ $2 OR title ~ $2
     ORDER BY slug`,
    [subject.email, tokenPattern(subject.contact.id)],
  );
  return rows.map((row) => row.slug);
}

/** The outbox rows of the contact's conversations or addressed to them. */
const outboxCondition = `conversation_id = ANY($1::text[]) OR ($2::text IS NOT NULL AND lower(to_address) = $2)`;

// ── Export ───────────────────────────────────────────────────────────────────────────────────────

/** Metadata as exported: the hashes of masked one-time codes stay behind (a 6-digit code's hash is guessable). */
function exportedMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const { code_hashes: _codeHashes, ...rest } = metadata ?? {};
  return rest;
}

/**
 * Everything held about one contact, as one document in a stable order (every list oldest first,
 * then by id). Read in one transaction, so the parts agree. Throws PrivacyError `not_found`.
 */
export async function exportContact(
  pool: pg.Pool,
  reference: ContactReference,
  options: { now?: Date } = {},
): Promise<PrivacyExport> {
  return withTransaction(pool, async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const subject = await resolveSubject(client, reference);
    const { contact } = subject;
    const conversationIds = await conversationIdsOf(client, subject);

    const { rows: accounts } = await client.query(
      'SELECT id, name, tier, region, owner_name, owner_email, created_at FROM accounts WHERE id = $1',
      [contact.account_id],
    );
    const accountRow = accounts[0];
    const ownsAccount =
      !!accountRow?.owner_email &&
      subject.email !== null &&
      String(accountRow.owner_email).toLowerCase() === subject.email;

    const { rows: conversations } = await client.query(
      `SELECT * FROM conversations WHERE id = ANY($1::text[]) ORDER BY created_at, id`,
      [conversationIds],
    );
    const { rows: messages } = await client.query(
      `SELECT id::text AS id, conversation_id, role, body, metadata, created_at FROM messages
       WHERE conversation_id = ANY($1::text[]) ORDER BY id`,
      [conversationIds],
    );
    const { rows: escalations } = await client.query(
      `SELECT * FROM escalations WHERE conversation_id = ANY($1::text[]) ORDER BY created_at, id`,
      [conversationIds],
    );
    const checkpoints = new Map<string, number>();
    if (await hasCheckpointTables(client)) {
      const { rows } = await client.query<{ thread_id: string; count: string }>(
        `SELECT thread_id, count(*)::text AS count FROM checkpoints WHERE thread_id = ANY($1::text[]) GROUP BY thread_id`,
        [conversationIds],
      );
      for (const row of rows) checkpoints.set(row.thread_id, Number(row.count));
    }
    const { rows: codes } = await client.query(
      `SELECT id, conversation_id, purpose, target_email, attempts, expires_at, consumed_at, created_at
       FROM verification_codes WHERE conversation_id = ANY($1::text[]) OR contact_id = $2 ORDER BY created_at, id`,
      [conversationIds, contact.id],
    );
    const { rows: links } = await client.query(
      'SELECT id, expires_at, used_at, created_at FROM payment_links WHERE contact_id = $1 ORDER BY created_at, id',
      [contact.id],
    );
    const ticketIds = await ticketIdsOf(client, subject, conversationIds);
    const { rows: tickets } = await client.query(
      `SELECT * FROM tickets WHERE id = ANY($1::text[]) ORDER BY created_at, id`,
      [ticketIds],
    );
    const { rows: comments } = await client.query(
      `SELECT * FROM ticket_comments WHERE ticket_id = ANY($1::text[]) ORDER BY created_at, id`,
      [ticketIds],
    );
    const { rows: interactions } = await client.query(
      'SELECT id, kind, body, author, created_at FROM interactions WHERE contact_id = $1 ORDER BY created_at, id',
      [contact.id],
    );
    const { rows: bookings } = await client.query(
      `SELECT id, engineer_id, start_at, end_at, status, topic, created_at FROM bookings WHERE contact_id = $1
       ORDER BY start_at, id`,
      [contact.id],
    );
    const audit = await auditRowsOf(client, subject, conversationIds);
    const ledger = await idempotencyRecordsOf(client, conversationIds, audit);
    const { rows: outbox } = await client.query(
      `SELECT id, message_id, conversation_id, to_address, from_address, subject, text_body, template, status,
         created_at, sent_at
       FROM email_outbox WHERE ${outboxCondition} ORDER BY created_at, id`,
      [conversationIds, subject.email],
    );
    const slugs = await knowledgeSlugsOf(client, subject);
    const { rows: articles } = await client.query(
      'SELECT slug, title, url, visibility, updated_at FROM kb_articles WHERE slug = ANY($1::text[]) ORDER BY slug',
      [slugs],
    );

    const document: PrivacyExport = {
      format: 'switchboard.privacy-export.v1',
      generatedAt: (options.now ?? new Date()).toISOString(),
      contact: {
        id: contact.id,
        accountId: contact.account_id,
        name: contact.name,
        email: contact.email,
        phone: contact.phone,
        title: contact.title,
        timezone: contact.timezone,
        externalRef: contact.external_ref,
        createdAt: iso(contact.created_at),
        updatedAt: iso(contact.updated_at),
      },
      erasure: subject.erasure
        ? {
            erasedAt: iso(subject.erasure.erased_at),
            lastErasedAt: iso(subject.erasure.last_erased_at),
            erasedBy: subject.erasure.erased_by,
          }
        : null,
      account: accountRow
        ? {
            id: accountRow.id,
            name: accountRow.name,
            tier: accountRow.tier,
            region: accountRow.region,
            contactIsOwner: ownsAccount,
            ownerName: ownsAccount ? accountRow.owner_name : null,
            ownerEmail: ownsAccount ? accountRow.owner_email : null,
            createdAt: iso(accountRow.created_at),
          }
        : null,
      conversations: conversations.map((row) => ({
        id: row.id,
        channel: row.channel,
        status: row.status,
        outcome: row.outcome,
        subject: row.subject,
        verified: row.verified,
        verifiedBy: row.verified_by,
        verifiedChannel: row.verified_channel,
        verifiedAt: isoOrNull(row.verified_at),
        accessToken: {
          issued: row.access_token_hash !== null,
          verified: row.access_token_verified,
          expiresAt: isoOrNull(row.access_token_expires_at),
          revokedAt: isoOrNull(row.access_token_revoked_at),
        },
        agentCheckpoints: checkpoints.get(row.id) ?? 0,
        createdAt: iso(row.created_at),
        updatedAt: iso(row.updated_at),
        messages: messages
          .filter((message) => message.conversation_id === row.id)
          .map((message) => ({
            id: message.id,
            role: message.role,
            body: message.body,
            metadata: exportedMetadata(message.metadata),
            createdAt: iso(message.created_at),
          })),
        escalations: escalations
          .filter((escalation) => escalation.conversation_id === row.id)
          .map((escalation) => ({
            id: escalation.id,
            reason: escalation.reason,
            priority: escalation.priority,
            status: escalation.status,
            packet: escalation.packet,
            claimedBy: escalation.claimed_by,
            createdAt: iso(escalation.created_at),
            claimedAt: isoOrNull(escalation.claimed_at),
            resolvedAt: isoOrNull(escalation.resolved_at),
          })),
      })),
      verificationCodes: codes.map((row) => ({
        id: row.id,
        conversationId: row.conversation_id,
        purpose: row.purpose,
        targetEmail: row.target_email,
        attempts: row.attempts,
        expiresAt: iso(row.expires_at),
        consumedAt: isoOrNull(row.consumed_at),
        createdAt: iso(row.created_at),
      })),
      paymentLinks: links.map((row) => ({
        id: row.id,
        expiresAt: iso(row.expires_at),
        usedAt: isoOrNull(row.used_at),
        createdAt: iso(row.created_at),
      })),
      tickets: tickets.map((row) => ({
        id: row.id,
        subject: row.subject,
        description: row.description,
        status: row.status,
        priority: row.priority,
        category: row.category,
        requesterEmail: row.requester_email,
        conversationId: row.conversation_id,
        createdAt: iso(row.created_at),
        updatedAt: iso(row.updated_at),
        comments: comments
          .filter((comment) => comment.ticket_id === row.id)
          .map((comment) => ({
            id: comment.id,
            author: comment.author,
            body: comment.body,
            internal: comment.internal,
            createdAt: iso(comment.created_at),
          })),
      })),
      interactions: interactions.map((row) => ({
        id: row.id,
        kind: row.kind,
        body: row.body,
        author: row.author,
        createdAt: iso(row.created_at),
      })),
      bookings: bookings.map((row) => ({
        id: row.id,
        engineerId: row.engineer_id,
        startAt: iso(row.start_at),
        endAt: iso(row.end_at),
        status: row.status,
        topic: row.topic,
        createdAt: iso(row.created_at),
      })),
      auditEntries: audit.map((row) => ({
        id: row.id,
        at: iso(row.at),
        conversationId: row.conversation_id,
        actor: row.actor,
        connectorId: row.connector_id,
        operation: row.operation,
        effect: row.effect,
        outcome: row.outcome,
        errorKind: row.error_kind,
        idempotencyKey: row.idempotency_key,
        detail: row.detail ?? {},
      })),
      idempotencyRecords: ledger.map((row) => ({
        key: row.key,
        connectorId: row.connector_id,
        operation: row.operation,
        status: row.status,
        result: row.result ?? null,
        createdAt: iso(row.created_at),
        completedAt: isoOrNull(row.completed_at),
      })),
      outboxEmails: outbox.map((row) => ({
        id: row.id,
        messageId: row.message_id,
        conversationId: row.conversation_id,
        to: row.to_address,
        from: row.from_address,
        subject: row.subject,
        textBody: row.text_body,
        template: row.template,
        status: row.status,
        createdAt: iso(row.created_at),
        sentAt: isoOrNull(row.sent_at),
      })),
      knowledgeDocuments: articles.map((row) => ({
        slug: row.slug,
        title: row.title,
        url: row.url,
        visibility: row.visibility,
        updatedAt: iso(row.updated_at),
      })),
    };
    return privacyExportSchema.parse(document);
  });
}

// ── Erase ────────────────────────────────────────────────────────────────────────────────────────

/** Who erases: an admin (API) or an operator's command (CLI). Recorded in the audit row. */
export type PrivacyActor = { kind: 'human'; id: string; email: string } | { kind: 'system'; name: string };

const actorLabel = (actor: PrivacyActor): string =>
  actor.kind === 'human' ? `human:${actor.id}` : `system:${actor.name}`;

export interface EraseOptions {
  /** Must be the contact's address (for an erased contact: the address it had). */
  confirmation: string;
  actor: PrivacyActor;
  /** The embedded outbox's DATA_DIR: the `.eml` copies of deleted outbox mail are removed too. */
  dataDir?: string;
}

/** Rewrites JSON values of `table` row by row in one statement; returns how many changed. */
async function rewriteJson(
  client: pg.PoolClient,
  update: string,
  changes: Array<{ id: string; values: unknown[] }>,
): Promise<number> {
  if (changes.length === 0) return 0;
  const columns = changes[0]!.values.length;
  const parameters: unknown[] = [changes.map((change) => change.id)];
  for (let column = 0; column < columns; column += 1)
    parameters.push(changes.map((change) => JSON.stringify(change.values[column] ?? null)));
  const result = await client.query(update, parameters);
  return result.rowCount ?? 0;
}

/**
 * Erases one contact, in one transaction: deletes their conversations (messages, escalations and
 * approvals, one-time codes), the agent's checkpoints of them, outbox mail, CRM notes, payment links and
 * knowledge articles naming them; anonymises the contact row, their tickets, bookings, the audit rows
 * and idempotency records of calls made for them (ids, amounts, states and timestamps kept); records
 * the erasure in `privacy_erasures` and one audit row (who, which contact id, when, counts — no
 * personal data). Idempotent: a second run finds only what is left or came since, and says so.
 * Throws PrivacyError `not_found` or `confirmation_mismatch` (nothing changed).
 */
export async function eraseContact(
  pool: pg.Pool,
  reference: ContactReference,
  options: EraseOptions,
): Promise<ErasureResult> {
  const startedAt = performance.now();
  const { result, outboxMessageIds } = await withTransaction(pool, async (client) => {
    // The contact row is locked: two erasures of one contact run one after the other.
    const found = await resolveSubject(client, reference, true);
    if (!confirms(found, options.confirmation))
      throw new PrivacyError('confirmation_mismatch', "The confirmation is not the contact's email address");
    // The confirmation is the address (checked above): what their mail and tickets are matched by.
    const email = options.confirmation.trim().toLowerCase();
    const subject: Subject = { ...found, email };
    const { contact } = subject;
    const conversationIds = await conversationIdsOf(client, subject);
    const counts: ErasureCounts = {
      contact: 0,
      accountOwner: 0,
      conversations: 0,
      messages: 0,
      escalations: 0,
      verificationCodes: 0,
      checkpoints: 0,
      outboxEmails: 0,
      outboxFiles: 0,
      auditEntries: 0,
      idempotencyRecords: 0,
      tickets: 0,
      ticketComments: 0,
      interactions: 0,
      bookings: 0,
      paymentLinks: 0,
      knowledgeDocuments: 0,
    };

    // Audit rows and ledger records first: they are found through the conversations deleted below.
    const audit = await auditRowsOf(client, subject, conversationIds);
    const ledger = await idempotencyRecordsOf(client, conversationIds, audit);
    const auditChanges = audit
      .map((row) => ({
        id: row.id,
        before: row.detail ?? {},
        after: { ...(tombstone(row.detail ?? {}) as object), privacy_erased: true },
      }))
      .filter((change) => JSON.stringify(change.before) !== JSON.stringify(change.after))
      .map((change) => ({ id: change.id, values: [change.after] }));
    counts.auditEntries = await rewriteJson(
      client,
      `UPDATE audit_log a SET detail = v.detail::jsonb
       FROM unnest($1::bigint[], $2::text[]) AS v(id, detail) WHERE a.id = v.id`,
      auditChanges,
    );
    const ledgerChanges = ledger
      .map((row) => ({ row, result: tombstone(row.result ?? null), error: tombstone(row.error ?? null) }))
      .filter(
        ({ row, result, error }) =>
          JSON.stringify(row.result ?? null) !== JSON.stringify(result) ||
          JSON.stringify(row.error ?? null) !== JSON.stringify(error),
      )
      .map(({ row, result, error }) => ({ id: row.key, values: [result, error] }));
    // The record stays (no second refund for that key); only what it said about the contact goes.
    counts.idempotencyRecords = await rewriteJson(
      client,
      `UPDATE idempotency_keys k SET result = nullif(v.result, 'null')::jsonb, error = nullif(v.error, 'null')::jsonb
       FROM unnest($1::text[], $2::text[], $3::text[]) AS v(key, result, error) WHERE k.key = v.key`,
      ledgerChanges,
    );

    const ticketIds = await ticketIdsOf(client, subject, conversationIds);
    counts.tickets =
      (
        await client.query(
          `UPDATE tickets SET subject = $2, description = $2, updated_at = now(),
             requester_email = CASE WHEN requester_email IS NULL THEN NULL ELSE $3 END
           WHERE id = ANY($1::text[])
             AND (subject <> $2 OR description <> $2 OR coalesce(requester_email, $3) <> $3)`,
          [ticketIds, erasedMark, erasedEmailOf(contact.id)],
        )
      ).rowCount ?? 0;
    counts.ticketComments =
      (
        await client.query(
          'UPDATE ticket_comments SET body = $2 WHERE ticket_id = ANY($1::text[]) AND body <> $2',
          [ticketIds, erasedMark],
        )
      ).rowCount ?? 0;

    if (await hasCheckpointTables(client)) {
      await client.query('DELETE FROM checkpoint_writes WHERE thread_id = ANY($1::text[])', [
        conversationIds,
      ]);
      await client.query('DELETE FROM checkpoint_blobs WHERE thread_id = ANY($1::text[])', [conversationIds]);
      counts.checkpoints =
        (await client.query('DELETE FROM checkpoints WHERE thread_id = ANY($1::text[])', [conversationIds]))
          .rowCount ?? 0;
    }
    const outbox = await client.query<{ message_id: string }>(
      `DELETE FROM email_outbox WHERE ${outboxCondition} RETURNING message_id`,
      [conversationIds, subject.email],
    );
    counts.outboxEmails = outbox.rowCount ?? 0;

    counts.verificationCodes =
      (
        await client.query(
          'DELETE FROM verification_codes WHERE conversation_id = ANY($1::text[]) OR contact_id = $2',
          [conversationIds, contact.id],
        )
      ).rowCount ?? 0;
    const { rows: sizes } = await client.query<{ messages: string; escalations: string }>(
      `SELECT (SELECT count(*) FROM messages WHERE conversation_id = ANY($1::text[]))::text AS messages,
              (SELECT count(*) FROM escalations WHERE conversation_id = ANY($1::text[]))::text AS escalations`,
      [conversationIds],
    );
    counts.messages = Number(sizes[0]?.messages ?? 0);
    counts.escalations = Number(sizes[0]?.escalations ?? 0);
    // Messages and escalations (with their approvals) go with their conversation (ON DELETE CASCADE).
    counts.conversations =
      (await client.query('DELETE FROM conversations WHERE id = ANY($1::text[])', [conversationIds]))
        .rowCount ?? 0;

    counts.interactions =
      (await client.query('DELETE FROM interactions WHERE contact_id = $1', [contact.id])).rowCount ?? 0;
    counts.paymentLinks =
      (await client.query('DELETE FROM payment_links WHERE contact_id = $1', [contact.id])).rowCount ?? 0;
    counts.bookings =
      (
        await client.query(
          `UPDATE bookings SET topic = $2, updated_at = now() WHERE contact_id = $1 AND topic IS NOT NULL AND topic <> $2`,
          [contact.id, erasedMark],
        )
      ).rowCount ?? 0;
    const slugs = await knowledgeSlugsOf(client, subject);
    counts.knowledgeDocuments =
      (await client.query('DELETE FROM kb_articles WHERE slug = ANY($1::text[])', [slugs])).rowCount ?? 0;

    counts.accountOwner =
      (
        await client.query(
          `UPDATE accounts SET owner_name = NULL, owner_email = NULL WHERE id = $1 AND lower(owner_email) = $2`,
          [contact.account_id, subject.email],
        )
      ).rowCount ?? 0;
    counts.contact =
      (
        await client.query(
          `UPDATE contacts SET name = $2, email = $3, phone = NULL, title = NULL, external_ref = NULL, timezone = 'UTC',
             updated_at = now()
           WHERE id = $1 AND (name <> $2 OR email <> $3 OR phone IS NOT NULL OR title IS NOT NULL OR external_ref IS NOT NULL)`,
          [contact.id, erasedMark, erasedEmailOf(contact.id)],
        )
      ).rowCount ?? 0;

    const { rows: recorded } = await client.query<{ erased_at: Date }>(
      `INSERT INTO privacy_erasures (contact_id, email_sha256, erased_by, counts) VALUES ($1, $2, $3, $4)
       ON CONFLICT (contact_id) DO UPDATE SET last_erased_at = now()
       RETURNING erased_at`,
      [contact.id, emailDigest(email), actorLabel(options.actor), JSON.stringify(counts)],
    );
    const result: ErasureResult = {
      contactId: contact.id,
      alreadyErased: found.erasure !== null,
      erasedAt: iso(recorded[0]!.erased_at),
      counts,
    };
    await client.query(
      `INSERT INTO audit_log (actor, account_id, connector_id, operation, effect, args_hash, outcome, latency_ms, detail)
       VALUES ($1, $2, 'privacy', 'contact.erase', 'write', $3, 'erased', $4, $5)`,
      [
        options.actor.kind,
        contact.account_id,
        createHash('sha256').update(contact.id).digest('hex'),
        performance.now() - startedAt,
        JSON.stringify({
          contact_id: contact.id,
          erased_by:
            options.actor.kind === 'human'
              ? { human_id: options.actor.id, human_email: options.actor.email }
              : { system: options.actor.name },
          already_erased: result.alreadyErased,
          counts,
        }),
      ],
    );
    return { result, outboxMessageIds: outbox.rows.map((row) => row.message_id) };
  });
  // The embedded outbox's files: after the commit (a rolled-back erasure must not lose them).
  if (options.dataDir) {
    for (const messageId of outboxMessageIds) {
      const file = emlPathFor(options.dataDir, messageId);
      const existed = await rm(file).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false;
          throw error;
        },
      );
      if (existed) result.counts.outboxFiles += 1;
    }
  }
  return erasureResultSchema.parse(result);
}
