import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from './database.ts';

type Status =
  | 'open'
  | 'waiting_customer'
  | 'waiting_approval'
  | 'escalated'
  | 'claimed'
  | 'resolved'
  | 'closed';
type Outcome = 'resolved' | 'answered' | 'escalated';
type Priority = 'low' | 'normal' | 'high' | 'urgent';

const outcomeRank = `CASE %s WHEN 'escalated' THEN 3 WHEN 'resolved' THEN 2 WHEN 'answered' THEN 1 ELSE 0 END`;

/**
 * Conversations, messages, escalations and verification codes in the database — the agent's
 * `ConversationStore` (structurally; this module does not import the agent).
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
    ): Promise<{ status: Status; verifiedContactId: string | null }> {
      const account =
        accountId ??
        (session.contactId
          ? ((
              await pool.query<{ account_id: string }>('SELECT account_id FROM contacts WHERE id = $1', [
                session.contactId,
              ])
            ).rows[0]?.account_id ?? null)
          : null);
      const { rows } = await pool.query<{ status: Status; verified: boolean; contact_id: string | null }>(
        `INSERT INTO conversations (id, channel, contact_id, account_id, verified, verified_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET updated_at = now()
         RETURNING status, verified, contact_id`,
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
      return { status: row.status, verifiedContactId: row.verified ? row.contact_id : null };
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

    async setState(conversationId: string, status: Status, outcome: Outcome | null): Promise<void> {
      // The outcome only ever gets stronger: a conversation a human took part in stays escalated.
      await pool.query(
        `UPDATE conversations SET status = $2, updated_at = now(),
           outcome = CASE WHEN ${outcomeRank.replace('%s', '$3::text')} > ${outcomeRank.replace('%s', 'outcome')} THEN $3 ELSE outcome END
         WHERE id = $1`,
        [conversationId, status, outcome],
      );
    },

    async markVerified(conversationId: string, contactId: string, accountId: string): Promise<void> {
      await pool.query(
        `UPDATE conversations SET verified = true, verified_by = 'email_code', contact_id = $2, account_id = $3, updated_at = now() WHERE id = $1`,
        [conversationId, contactId, accountId],
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
        const id = `esc_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
        await client.query(
          `INSERT INTO escalations (id, conversation_id, reason, priority, packet) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING`,
          [id, conversationId, reason, priority, JSON.stringify(packet)],
        );
        await client.query(
          `UPDATE conversations SET status = 'escalated', outcome = 'escalated', updated_at = now() WHERE id = $1`,
          [conversationId],
        );
        return { id, created: true };
      });
    },

    async closeEscalation(conversationId: string, status: 'resolved' | 'handed_back'): Promise<void> {
      await pool.query(
        `UPDATE escalations SET status = $2, resolved_at = now() WHERE conversation_id = $1 AND status IN ('open','claimed')`,
        [conversationId, status],
      );
    },

    async createVerificationCode(
      conversationId: string,
      contactId: string,
      codeHash: string,
      expiresAt: Date,
    ): Promise<void> {
      await pool.query(
        `INSERT INTO verification_codes (id, conversation_id, contact_id, code_hash, expires_at) VALUES ($1, $2, $3, $4, $5)`,
        [`vc_${randomUUID()}`, conversationId, contactId, codeHash, expiresAt],
      );
    },

    async checkVerificationCode(
      conversationId: string,
      codeHash: string,
      now: Date,
      maxAttempts: number,
    ): Promise<{ result: 'ok' | 'wrong' | 'expired' | 'locked'; contactId?: string }> {
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{
          id: string;
          contact_id: string;
          code_hash: string;
          expires_at: Date;
          attempts: number;
        }>(
          `SELECT id, contact_id, code_hash, expires_at, attempts FROM verification_codes
            WHERE conversation_id = $1 AND consumed_at IS NULL ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
          [conversationId],
        );
        const code = rows[0];
        if (!code) return { result: 'wrong' };
        if (code.attempts >= maxAttempts) return { result: 'locked' };
        if (new Date(code.expires_at) < now) return { result: 'expired' };
        if (code.code_hash !== codeHash) {
          await client.query('UPDATE verification_codes SET attempts = attempts + 1 WHERE id = $1', [
            code.id,
          ]);
          return { result: code.attempts + 1 >= maxAttempts ? 'locked' : 'wrong' };
        }
        await client.query('UPDATE verification_codes SET consumed_at = $2 WHERE id = $1', [code.id, now]);
        return { result: 'ok', contactId: code.contact_id };
      });
    },
  };
}

/** Customer profiles for identity: the contact named by the verified session, with its account. */
export function createCustomerDirectory(pool: pg.Pool) {
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
      return rows[0] ? { contactId: rows[0].id, email: rows[0].email } : null;
    },
  };
}
