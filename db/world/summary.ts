import type { Queryable } from '../database.ts';

/** Row counts per system, e.g. for `GET /api/world/summary` and the seed script's report. */
export async function summarizeWorld(db: Queryable): Promise<Record<string, Record<string, number>>> {
  const systems: Record<string, string[]> = {
    crm: ['accounts', 'contacts', 'interactions'],
    billing: ['subscriptions', 'invoices', 'payments', 'refunds', 'credits'],
    ticketing: ['tickets', 'ticket_comments', 'incidents'],
    calendar: ['engineers', 'bookings'],
    knowledge: ['kb_articles', 'kb_chunks'],
    conversations: ['conversations', 'messages', 'escalations'],
    email: ['email_outbox'],
  };
  const tables = Object.values(systems).flat();
  const { rows } = await db.query<{ table_name: string; count: string }>(
    tables
      .map((table) => `SELECT '${table}' AS table_name, count(*) AS count FROM ${table}`)
      .join(' UNION ALL '),
  );
  const counts = new Map(rows.map((row) => [row.table_name, Number(row.count)]));
  return Object.fromEntries(
    Object.entries(systems).map(([system, names]) => [
      system,
      Object.fromEntries(names.map((name) => [name, counts.get(name) ?? 0])),
    ]),
  );
}
