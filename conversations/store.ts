import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AwaitedApproval, EscalationPacket } from '../agent/dependencies.ts';
import { type Queryable, withTransaction } from '../db/database.ts';
import { hashOneTimeCode, maskCodes, maskOutstandingCodes } from '../db/one-time-codes.ts';

export type Status =
  | 'open'
  | 'waiting_customer'
  | 'waiting_approval'
  | 'escalated'
  | 'claimed'
  | 'resolved'
  | 'closed';
export type Outcome = 'resolved' | 'answered' | 'escalated';
type Priority = 'low' | 'normal' | 'high' | 'urgent';

/** How and where a conversation's contact was verified. */
export interface Verification {
  contactId: string;
  by: 'token' | 'email_code';
  channel: 'chat' | 'email';
  at: Date;
}

/** The verification columns of a conversation row. */
export interface VerificationColumns {
  channel: 'chat' | 'email';
  verified: boolean;
  contact_id: string | null;
  verified_by: 'token' | 'email_code' | null;
  verified_channel: 'chat' | 'email' | null;
  verified_at: Date | null;
}

/** The conversation's verification, from its row (null when its contact was never verified). */
export function verificationOf(row: VerificationColumns): Verification | null {
  return row.verified && row.contact_id
    ? {
        contactId: row.contact_id,
        by: row.verified_by ?? 'token',
        channel: row.verified_channel ?? row.channel,
        at: new Date(row.verified_at ?? Date.now()),
      }
    : null;
}

/** What a one-time code proves: the account holder, or a new address the customer wants on file. */
export type CodePurpose = { kind: 'identity' } | { kind: 'new_address'; email: string };

const outcomeRank = `CASE %s WHEN 'escalated' THEN 3 WHEN 'resolved' THEN 2 WHEN 'answered' THEN 1 ELSE 0 END`;

/** The messages stored while answering the turn `turnId` (keyed `<turnId>:<kind>[:<n>]`), in order. */
export async function repliesOfTurn(db: Queryable, conversationId: string, turnId: string) {
  const { rows } = await db.query<{
    id: string;
    role: 'customer' | 'agent' | 'human' | 'system';
    body: string;
    metadata: Record<string, unknown>;
    created_at: Date;
  }>(
    `SELECT id::text AS id, role, body, metadata, created_at FROM messages
      WHERE conversation_id = $1 AND client_message_id LIKE $2 ORDER BY id`,
    [conversationId, `${turnId.replace(/[\\%_]/g, '\\$&')}:%`],
  );
  return rows;
}

const newEscalationId = () => `esc_${randomUUID().replace(/-/g, '').slice(0, 16)}`;

/** The approval an escalation is linked to (it asked for the same action), with the key its action runs under. */
async function awaitedBy(db: Queryable, escalationId: string): Promise<AwaitedApproval | null> {
  const { rows } = await db.query<{ id: string; conversation_id: string; key: string | null }>(
    `SELECT a.id, a.conversation_id, a.packet->'pendingAction'->>'idempotencyKey' AS key
       FROM escalations e JOIN escalations a ON a.id = e.awaits_escalation_id WHERE e.id = $1`,
    [escalationId],
  );
  const row = rows[0];
  return row?.key
    ? { escalationId: row.id, conversationId: row.conversation_id, idempotencyKey: row.key }
    : null;
}

/**
 * Conversations, messages, escalations and verification codes in the database. The agent sees the
 * part it needs as its `ConversationStore` (agent/dependencies.ts); the conversation row's status is
 * written only by this folder (`recordTurnEnd`, conversations/escalations.ts).
 */
export function createConversationStore(pool: pg.Pool) {
  return {
    async ensureConversation(
      conversationId: string,
      session: {
        contactId: string | null;
        verified: boolean;
        channel: 'chat' | 'email';
        verifiedBy?: 'token' | 'email_code';
      },
      accountId: string | null,
    ): Promise<{ status: Status; verification: Verification | null }> {
      const account =
        accountId ??
        (session.contactId
          ? ((
              await pool.query<{ account_id: string }>('SELECT account_id FROM contacts WHERE id = $1', [
                session.contactId,
              ])
            ).rows[0]?.account_id ?? null)
          : null);
      const { rows } = await pool.query<VerificationColumns & { status: Status }>(
        `INSERT INTO conversations (id, channel, contact_id, account_id, verified, verified_by, verified_channel, verified_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $5 THEN $2 END, CASE WHEN $5 THEN now() END)
         ON CONFLICT (id) DO UPDATE SET updated_at = now()
         RETURNING status, channel, verified, contact_id, verified_by, verified_channel, verified_at`,
        [
          conversationId,
          session.channel,
          session.contactId,
          account,
          session.verified,
          session.verified ? (session.verifiedBy ?? 'token') : null,
        ],
      );
      const row = rows[0]!;
      return { status: row.status, verification: verificationOf(row) };
    },

    /** The conversation's status and verification; null when there is no such conversation. */
    async conversation(
      conversationId: string,
    ): Promise<{ status: Status; verification: Verification | null } | null> {
      const { rows } = await pool.query<VerificationColumns & { status: Status }>(
        `SELECT status, channel, verified, contact_id, verified_by, verified_channel, verified_at
           FROM conversations WHERE id = $1`,
        [conversationId],
      );
      return rows[0] ? { status: rows[0].status, verification: verificationOf(rows[0]) } : null;
    },

    async appendMessage(
      conversationId: string,
      role: 'customer' | 'agent' | 'human' | 'system',
      body: string,
      metadata: Record<string, unknown> = {},
      clientMessageId?: string,
    ): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO messages (conversation_id, role, body, metadata, client_message_id) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (conversation_id, client_message_id) DO NOTHING`,
        [conversationId, role, body, JSON.stringify(metadata), clientMessageId ?? null],
      );
      return (rowCount ?? 0) > 0;
    },

    /**
     * The one write of the conversation row a turn makes: where the turn left it. `readStatus` is the
     * status the turn started from; a human's change made meanwhile (a claim, a resolve) wins over
     * the turn's. The outcome only ever gets stronger: a conversation a human took part in stays
     * escalated. The first intent a turn classified stays the conversation's (migration 0029): the
     * analytics page counts conversations by what the customer came for.
     */
    async recordTurnEnd(
      conversationId: string,
      readStatus: Status,
      end: { status: Status; outcome?: Outcome | null | undefined; intent?: string | null | undefined },
      db: Queryable = pool,
    ): Promise<void> {
      await db.query(
        `UPDATE conversations SET updated_at = now(),
           status = CASE WHEN status = $4 THEN $2 ELSE status END,
           outcome = CASE WHEN ${outcomeRank.replace('%s', '$3::text')} > ${outcomeRank.replace('%s', 'outcome')} THEN $3 ELSE outcome END,
           intent = COALESCE(intent, $5)
         WHERE id = $1`,
        [conversationId, end.status, end.outcome ?? null, readStatus, end.intent?.slice(0, 200) ?? null],
      );
    },

    /**
     * Stores a customer message the agent received directly (the terminal chat, the eval runner), with
     * any answer to an outstanding one-time code masked; returns the hashes of the masked codes.
     */
    async appendCustomerMessage(
      conversationId: string,
      text: string,
      options: { input?: { kind: string }; maskAllCodes?: boolean } = {},
    ): Promise<{ text: string; codeHashes: string[] }> {
      const masked = options.maskAllCodes
        ? maskCodes(conversationId, text)
        : await maskOutstandingCodes(pool, conversationId, text);
      await pool.query(
        `INSERT INTO messages (conversation_id, role, body, metadata) VALUES ($1, 'customer', $2, $3)`,
        [
          conversationId,
          masked.text,
          JSON.stringify({
            ...(options.input ? { input: options.input } : {}),
            ...(masked.codeHashes.length > 0 ? { code_hashes: masked.codeHashes } : {}),
          }),
        ],
      );
      return masked;
    },

    /** A one-time code proved the contact: in which channel, and when, is kept with it. */
    async markVerified(
      conversationId: string,
      contactId: string,
      accountId: string,
      channel: 'chat' | 'email',
      at: Date,
    ): Promise<void> {
      await pool.query(
        `UPDATE conversations SET verified = true, verified_by = 'email_code', verified_channel = $4, verified_at = $5,
           contact_id = $2, account_id = $3, updated_at = now() WHERE id = $1`,
        [conversationId, contactId, accountId, channel, at],
      );
    },

    async openEscalation(
      conversationId: string,
      reason: string,
      priority: Priority,
      packet: unknown,
    ): Promise<{ id: string; created: boolean }> {
      return withTransaction(pool, async (client) => {
        const existing = await client.query<{ id: string }>(
          `SELECT id FROM escalations WHERE conversation_id = $1 AND status IN ('open','claimed') FOR UPDATE`,
          [conversationId],
        );
        if (existing.rows[0]) return { id: existing.rows[0].id, created: false };
        const id = newEscalationId();
        await client.query(
          `INSERT INTO escalations (id, conversation_id, reason, priority, packet) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING`,
          [id, conversationId, reason, priority, JSON.stringify(packet)],
        );
        // The conversation's status follows when the turn ends (recordTurnEnd).
        return { id, created: true };
      });
    },

    /**
     * One pending approval per action (docs/product.md, "Approvals"): the escalation is inserted with
     * its action key, which the partial unique index `escalations_pending_action_key` (migration 0019)
     * lets only one live approval hold. A turn of another conversation that asks for the same action
     * meanwhile waits on that index until this one commits, inserts nothing, and links its
     * conversation to the approval that won instead — so two racing turns make one approval.
     */
    async openApproval(
      conversationId: string,
      actionKey: string,
      packet: EscalationPacket,
      priority: Priority = 'normal',
    ): Promise<{ id: string; created: boolean; awaiting: AwaitedApproval | null }> {
      return withTransaction(pool, async (client) => {
        const live = async () =>
          (
            await client.query<{ id: string }>(
              `SELECT id FROM escalations WHERE conversation_id = $1 AND status IN ('open','claimed') FOR UPDATE`,
              [conversationId],
            )
          ).rows[0];
        const existing = await live();
        if (existing)
          return { id: existing.id, created: false, awaiting: await awaitedBy(client, existing.id) };
        const id = newEscalationId();
        const inserted = await client.query(
          `INSERT INTO escalations (id, conversation_id, reason, priority, packet, action_key)
           VALUES ($1, $2, 'approval_required', $5, $3, $4) ON CONFLICT DO NOTHING`,
          [id, conversationId, JSON.stringify(packet), actionKey, priority],
        );
        if ((inserted.rowCount ?? 0) > 0) return { id, created: true, awaiting: null };
        const opened = await live();
        if (opened) return { id: opened.id, created: false, awaiting: await awaitedBy(client, opened.id) };
        const { rows } = await client.query<{ id: string; conversation_id: string; key: string | null }>(
          `SELECT id, conversation_id, packet->'pendingAction'->>'idempotencyKey' AS key FROM escalations
            WHERE action_key = $1 AND status IN ('open','claimed') AND awaits_escalation_id IS NULL
              AND decided_at IS NULL FOR UPDATE`,
          [actionKey],
        );
        const holder = rows[0];
        if (!holder?.key) throw new Error(`no live approval holds ${actionKey}, yet one conflicted`);
        const awaiting = { escalationId: holder.id, conversationId: holder.conversation_id };
        const linked: EscalationPacket = {
          ...packet,
          summary: `Awaiting approval in conversation ${holder.conversation_id}, which asked for the same action first: decide it there (escalation ${holder.id}) and this conversation gets the outcome too. ${packet.summary}`,
          awaitingApprovalIn: awaiting,
        };
        await client.query(
          `INSERT INTO escalations (id, conversation_id, reason, priority, packet, action_key, awaits_escalation_id)
           VALUES ($1, $2, 'approval_required', $6, $3, $4, $5)`,
          [id, conversationId, JSON.stringify(linked), actionKey, holder.id, priority],
        );
        await client.query(
          `UPDATE escalations SET packet = jsonb_set(packet, '{alsoAwaitedBy}',
             COALESCE(packet->'alsoAwaitedBy', '[]'::jsonb) || jsonb_build_array(jsonb_build_object('conversationId', $2::text, 'escalationId', $3::text)))
           WHERE id = $1`,
          [holder.id, conversationId, id],
        );
        return { id, created: true, awaiting: { ...awaiting, idempotencyKey: holder.key } };
      });
    },

    async awaitedApproval(conversationId: string): Promise<AwaitedApproval | null> {
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM escalations WHERE conversation_id = $1 AND awaits_escalation_id IS NOT NULL
          ORDER BY created_at DESC, id DESC LIMIT 1`,
        [conversationId],
      );
      return rows[0] ? awaitedBy(pool, rows[0].id) : null;
    },

    /**
     * The live escalation's pending action was carried out on a human's decision: it stays open (claimed)
     * for the human's own note until they resolve it, its action no longer pending (migration 0020).
     */
    async settleEscalation(conversationId: string): Promise<void> {
      await pool.query(
        `UPDATE escalations SET decided_at = now() WHERE conversation_id = $1 AND status IN ('open','claimed')`,
        [conversationId],
      );
    },

    async closeEscalation(conversationId: string, status: 'resolved' | 'handed_back'): Promise<void> {
      await pool.query(
        `UPDATE escalations SET status = $2, resolved_at = now() WHERE conversation_id = $1 AND status IN ('open','claimed')`,
        [conversationId, status],
      );
    },

    /**
     * Keeps a new code as a hash only; an earlier open code of the conversation is withdrawn (only the
     * latest one counts). Returns the code's id.
     */
    async createVerificationCode(
      conversationId: string,
      contactId: string,
      code: string,
      expiresAt: Date,
      purpose: CodePurpose = { kind: 'identity' },
    ): Promise<string> {
      const id = `vc_${randomUUID()}`;
      await withTransaction(pool, async (client) => {
        await client.query(
          'UPDATE verification_codes SET consumed_at = now() WHERE conversation_id = $1 AND consumed_at IS NULL',
          [conversationId],
        );
        await client.query(
          `INSERT INTO verification_codes (id, conversation_id, contact_id, code_hash, expires_at, purpose, target_email)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            id,
            conversationId,
            contactId,
            hashOneTimeCode(conversationId, code),
            expiresAt,
            purpose.kind,
            purpose.kind === 'new_address' ? purpose.email : null,
          ],
        );
      });
      return id;
    },

    /**
     * Checks the hashes of the codes a message carried against the conversation's open code of this
     * purpose: one attempt per message, whichever of its codes matches.
     */
    async checkVerificationCode(
      conversationId: string,
      codeHashes: string[],
      now: Date,
      maxAttempts: number,
      purpose: CodePurpose['kind'] = 'identity',
    ): Promise<{ result: 'ok' | 'wrong' | 'expired' | 'locked'; contactId?: string; email?: string }> {
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{
          id: string;
          contact_id: string;
          code_hash: string;
          expires_at: Date;
          attempts: number;
          target_email: string | null;
        }>(
          `SELECT id, contact_id, code_hash, expires_at, attempts, target_email FROM verification_codes
            WHERE conversation_id = $1 AND purpose = $2 AND consumed_at IS NULL ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
          [conversationId, purpose],
        );
        const code = rows[0];
        if (!code) return { result: 'wrong' };
        if (code.attempts >= maxAttempts) return { result: 'locked' };
        if (new Date(code.expires_at) < now) return { result: 'expired' };
        if (!codeHashes.includes(code.code_hash)) {
          await client.query('UPDATE verification_codes SET attempts = attempts + 1 WHERE id = $1', [
            code.id,
          ]);
          return { result: code.attempts + 1 >= maxAttempts ? 'locked' : 'wrong' };
        }
        await client.query('UPDATE verification_codes SET consumed_at = $2 WHERE id = $1', [code.id, now]);
        return {
          result: 'ok',
          contactId: code.contact_id,
          ...(code.target_email ? { email: code.target_email } : {}),
        };
      });
    },
  };
}

/**
 * Customer profiles for identity: the contact named by the verified session, with its account. An
 * address our contacts do not have is asked of `identities` (the CRM backend's contacts, provisioned
 * into our directory), when given.
 */
export function createCustomerDirectory(
  pool: pg.Pool,
  identities?: { contactOfEmail(email: string): Promise<{ contactId: string } | null> },
) {
  return {
    async profile(contactId: string) {
      const { rows } = await pool.query<{
        contact_id: string;
        account_id: string;
        name: string;
        email: string;
        timezone: string;
        tier: string;
        account_name: string;
      }>(
        `SELECT c.id AS contact_id, c.account_id, c.name, c.email, c.timezone, a.tier, a.name AS account_name
           FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE c.id = $1`,
        [contactId],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        contactId: row.contact_id,
        accountId: row.account_id,
        name: row.name,
        email: row.email,
        timezone: row.timezone,
        tier: row.tier,
        accountName: row.account_name,
        verified: false,
      };
    },
    async byEmail(email: string) {
      const { rows } = await pool.query<{ id: string; email: string }>(
        'SELECT id, email FROM contacts WHERE lower(email) = lower($1)',
        [email],
      );
      if (rows[0]) return { contactId: rows[0].id, email: rows[0].email };
      const provisioned = await identities?.contactOfEmail(email);
      if (!provisioned) return null;
      const again = await pool.query<{ email: string }>('SELECT email FROM contacts WHERE id = $1', [
        provisioned.contactId,
      ]);
      return again.rows[0] ? { contactId: provisioned.contactId, email: again.rows[0].email } : null;
    },
  };
}
