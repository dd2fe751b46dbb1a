import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import { buildEscalationPacket } from '../escalation-packet.ts';
import { escalationPriority } from '../escalation-priority.ts';
import type { CallRecord, SupportStateUpdate, SupportStateValue, TranscriptEntry } from '../state.ts';
import { writeKey } from './finish-procedure.ts';
import { callStoredWrite, emit, say } from './toolkit.ts';

/**
 * Hands the conversation to a human: runs the writes the hand-over itself needs (e.g. the privacy
 * ticket), stores the escalation packet, tells the customer, and goes quiet.
 */
export async function escalate(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const plan = state.decision;
  if (plan?.kind !== 'escalate') throw new Error('escalate node reached without an escalation plan');
  const records: CallRecord[] = [];
  const notes: string[] = [];
  for (const action of plan.actions ?? []) {
    const result = await callStoredWrite(deps, state, config, records, action, {
      idempotencyKey: writeKey(state.conversationId, action.connector, action.operation, action.input),
    });
    notes.push(
      result.status === 'ok'
        ? `Done before hand-over: ${action.label} → ${JSON.stringify(result.data)}`
        : `Could not ${action.label} (${result.status}).`,
    );
  }
  // The pending action a human can finish from the console (approving retries it): only the write
  // that has just failed. One left over from an escalation a human already settled is never offered
  // again — finishing it now could do by machine what a person already did by hand.
  const failed = state.calls.at(-1);
  const pending =
    state.pendingApproval &&
    plan.reason === 'connector_failure' &&
    failed?.effect === 'write' &&
    failed.status === 'error' &&
    failed.connector === state.pendingApproval.action.connector &&
    failed.operation === state.pendingApproval.action.operation
      ? state.pendingApproval
      : null;
  const customerEntry: TranscriptEntry = { role: 'agent', text: plan.text, at: deps.now().toISOString() };
  const built = buildEscalationPacket(
    state,
    plan.reason,
    [plan.summary, ...notes].join(' '),
    records,
    [customerEntry],
    pending
      ? {
          connector: pending.action.connector,
          operation: pending.action.operation,
          input: pending.action.input,
          idempotencyKey: pending.idempotencyKey,
          reason: pending.reason,
        }
      : null,
  );
  const packet = plan.knowledgeCandidates?.length
    ? { ...built, knowledgeCandidates: plan.knowledgeCandidates }
    : built;
  // The packet raises the step's priority (an angry customer, a failure touching payments).
  const priority = escalationPriority(packet, plan.priority, await deps.policy());
  const escalation = await deps.store.openEscalation(state.conversationId, plan.reason, priority, packet);
  const entry = await say(deps, state, config, plan.text);
  emit(config, {
    type: 'escalation',
    escalationId: escalation.id,
    reason: plan.reason,
    priority,
  });
  return {
    calls: records,
    transcript: [entry],
    escalation: { id: escalation.id, reason: plan.reason },
    outcome: 'escalated',
    status: 'escalated',
    awaiting: null,
    pendingActions: null,
    pendingApproval: pending,
    queuedIntents: [],
    next: 'finish',
  };
}
