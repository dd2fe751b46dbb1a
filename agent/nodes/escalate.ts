import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import { buildEscalationPacket } from '../escalation-packet.ts';
import type { CallRecord, SupportStateUpdate, SupportStateValue, TranscriptEntry } from '../state.ts';
import { writeKey } from './finish-procedure.ts';
import { callConnector, emit, say } from './toolkit.ts';

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
    const result = await callConnector(deps, state, config, records, {
      connector: action.connector,
      operation: action.operation,
      input: action.input,
      effect: 'write',
      options: {
        idempotencyKey: writeKey(state.conversationId, action.connector, action.operation, action.input),
      },
    });
    notes.push(
      result.status === 'ok'
        ? `Done before hand-over: ${action.label} → ${JSON.stringify(result.data)}`
        : `Could not ${action.label} (${result.status}).`,
    );
  }
  const pending = state.pendingApproval;
  const customerEntry: TranscriptEntry = { role: 'agent', text: plan.text, at: deps.now().toISOString() };
  const packet = buildEscalationPacket(
    state,
    plan.reason,
    [plan.summary, ...notes].join(' '),
    records,
    [customerEntry],
    pending && plan.reason === 'connector_failure'
      ? {
          connector: pending.action.connector,
          operation: pending.action.operation,
          input: pending.action.input,
          idempotencyKey: pending.idempotencyKey,
          reason: pending.reason,
        }
      : null,
  );
  const escalation = await deps.store.openEscalation(
    state.conversationId,
    plan.reason,
    plan.priority,
    packet,
  );
  const entry = await say(deps, state, config, plan.text);
  emit(config, {
    type: 'escalation',
    escalationId: escalation.id,
    reason: plan.reason,
    priority: plan.priority,
  });
  return {
    calls: records,
    transcript: [entry],
    escalation: { id: escalation.id, reason: plan.reason },
    outcome: 'escalated',
    status: 'escalated',
    awaiting: null,
    pendingActions: null,
    queuedIntents: [],
    next: 'finish',
  };
}
