import { z } from 'zod';
import { ConnectorError } from '../core/errors.ts';
import type { Queryable } from '../core/queryable.ts';

/** A record id as the systems store it (text, e.g. `ct_1`, `acc_1`). */
export const recordId = z.string().trim().min(1).max(200);
export const isoDateTime = z.iso.datetime({ offset: true });

/** A CRM contact as the connector returns it. */
export const contactView = z.object({
  id: z.string(),
  account_id: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  title: z.string().nullable(),
  timezone: z.string(),
  updated_at: isoDateTime,
});
export type ContactView = z.infer<typeof contactView>;

interface ContactRow extends Omit<ContactView, 'updated_at'> {
  updated_at: Date;
}

/** Reads a contact by id, or null. */
export async function readContact(db: Queryable, contactId: string): Promise<ContactView | null> {
  const { rows } = await db.query<ContactRow>(
    'SELECT id, account_id, name, email, phone, title, timezone, updated_at FROM contacts WHERE id = $1',
    [contactId],
  );
  return rows[0] ? toContactView(rows[0]) : null;
}

export function toContactView(row: ContactRow): ContactView {
  return { ...row, updated_at: new Date(row.updated_at).toISOString() };
}

/** Who a write is attributed to in the systems' rows (`author`). */
export function authorOf(session: { actor: 'agent' | 'human' | 'system'; actorId?: string }): string {
  if (session.actor === 'human') return session.actorId ? `human:${session.actorId}` : 'human';
  return session.actor;
}

/**
 * Identity resolution (looking people up by email) is for the API's system actor alone, before any
 * customer is bound — never for the agent or a human: the policy has no per-actor rules, so the
 * operation refuses everyone else itself.
 */
export function requireSystemActor(
  session: { actor: 'agent' | 'human' | 'system' },
  operation: string,
): void {
  if (session.actor !== 'system')
    throw new ConnectorError('forbidden', `${operation} is for identity resolution by the system only.`);
}
