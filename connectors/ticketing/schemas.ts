import { z } from 'zod';
import type { Queryable } from '../core/queryable.ts';

/** A record id as the systems store it (text, e.g. `TCK-1001`). */
export const recordId = z.string().trim().min(1).max(200);
export const isoDateTime = z.iso.datetime({ offset: true });
export const ticketStatus = z.enum(['new', 'open', 'pending', 'on_hold', 'solved', 'closed']);
export const ticketPriority = z.enum(['low', 'normal', 'high', 'urgent']);
/** Statuses in which a ticket is still being worked on. */
export const openStatuses = ['new', 'open', 'pending', 'on_hold'] as const;

/** An incident as the connector returns it. */
export const incidentView = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['open', 'resolved']),
  severity: z.enum(['SEV1', 'SEV2', 'SEV3']),
  components: z.array(z.string()),
  started_at: isoDateTime,
  resolved_at: isoDateTime.nullable(),
  summary: z.string(),
});
export type IncidentView = z.infer<typeof incidentView>;

/** Reads incidents (open ones only, when asked), newest first. */
export async function readIncidents(db: Queryable, options: { onlyOpen: boolean }): Promise<IncidentView[]> {
  const { rows } = await db.query(
    `SELECT id, title, status, severity, components, started_at, resolved_at, summary FROM incidents
     WHERE ($1::boolean = false OR status = 'open') ORDER BY started_at DESC, id`,
    [options.onlyOpen],
  );
  return rows.map((row) => ({
    ...row,
    started_at: new Date(row.started_at).toISOString(),
    resolved_at: row.resolved_at ? new Date(row.resolved_at).toISOString() : null,
  }));
}

/** The account that owns a ticket, or null when there is no such ticket. */
export async function ownerOfTicket(db: Queryable, ticketId: string): Promise<string | null> {
  const { rows } = await db.query<{ account_id: string }>('SELECT account_id FROM tickets WHERE id = $1', [
    ticketId,
  ]);
  return rows[0]?.account_id ?? null;
}

/** Who a write is attributed to in the systems' rows (`author`). */
export function authorOf(session: { actor: 'agent' | 'human' | 'system'; actorId?: string }): string {
  if (session.actor === 'human') return session.actorId ? `human:${session.actorId}` : 'human';
  return session.actor;
}
