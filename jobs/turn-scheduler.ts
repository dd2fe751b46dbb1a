import type { TurnScheduler } from '../conversations/turns.ts';
import type { JobQueue } from './catalog.ts';

/** The conversation turns' follow-up work as catalog jobs: the next turn, and an escalation's SLA check. */
export function turnSchedulerOf(jobs: JobQueue): TurnScheduler {
  return {
    scheduleTurns: (conversationId, jobId) => jobs.enqueue('agent.turn', { conversationId }, { jobId }),
    scheduleSlaCheck: (escalationId, delayMs) =>
      jobs.enqueue('escalation.sla', { escalationId }, { jobId: `sla-${escalationId}`, delayMs }),
  };
}
