import type pg from 'pg';
import { consoleChannel, conversationChannel, type EventBus } from './live-events.ts';

/** What the SLA job did. */
export type EscalationSlaOutcome =
  | { breached: true; conversationId: string; priority: string }
  | { breached: false; reason: 'not_found_or_not_open' };

/**
 * An escalation's SLA deadline passed. If nobody claimed it yet (still `open`, not breached before,
 * and its deadline was not moved later), marks it breached, raises its priority one step
 * (low → normal → high → urgent) and tells the console and the conversation. Claimed, resolved or
 * handed-back escalations are left alone, so a timer that fires late does nothing wrong.
 */
export async function handleEscalationSla(
  deps: { pool: pg.Pool; bus: EventBus },
  escalationId: string,
): Promise<EscalationSlaOutcome> {
  // One statement: two workers firing the same timer cannot both raise the priority.
  const { rows } = await deps.pool.query<{ conversation_id: string; priority: string }>(
    `UPDATE escalations
        SET sla_breached_at = now(),
            priority = CASE priority WHEN 'low' THEN 'normal' WHEN 'normal' THEN 'high' ELSE 'urgent' END
      WHERE id = $1 AND status = 'open' AND sla_breached_at IS NULL
        AND (sla_due_at IS NULL OR sla_due_at <= now())
      RETURNING conversation_id, priority`,
    [escalationId],
  );
  const row = rows[0];
  if (!row) return { breached: false, reason: 'not_found_or_not_open' };
  const event = {
    kind: 'escalation' as const,
    conversationId: row.conversation_id,
    escalationId,
    change: 'sla_breached' as const,
  };
  await deps.bus.publish(consoleChannel, event);
  await deps.bus.publish(conversationChannel(row.conversation_id), event);
  return { breached: true, conversationId: row.conversation_id, priority: row.priority };
}
