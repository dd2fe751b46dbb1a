import { interrupt, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { ApprovalDecision } from '../agent.ts';
import type { AgentDependencies } from '../dependencies.ts';
import { buildEscalationPacket } from '../escalation-packet.ts';
import type { CallRecord, SupportStateUpdate, SupportStateValue, TranscriptEntry } from '../state.ts';
import { completeProcedure } from './finish-procedure.ts';
import { callConnector, emit, say } from './toolkit.ts';

/**
 * A write stopped at an action limit: hand the exact pending action to a human and pause the graph
 * (`interrupt`) until they approve or deny (`Command({ resume })`). This node runs again from the top
 * on resume, so everything before `interrupt()` is safe to repeat: the escalation is opened once
 * (one live escalation per conversation) and the customer is told once.
 */
export async function approval(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const pending = state.pendingApproval!;
  const text = `This needs approval from our billing team because it is above what I can do on my own (${pending.reason}). I've sent it to them with all the details; you'll get an answer here, usually within one business day.`;
  const packet = buildEscalationPacket(
    state,
    'approval_required',
    `Approval needed: ${pending.action.label}. ${pending.reason}`,
    [],
    [{ role: 'agent', text, at: deps.now().toISOString() }],
    {
      connector: pending.action.connector,
      operation: pending.action.operation,
      input: pending.action.input,
      idempotencyKey: pending.idempotencyKey,
      reason: pending.reason,
    },
  );
  const escalation = await deps.store.openEscalation(
    state.conversationId,
    'approval_required',
    'normal',
    packet,
  );
  if (escalation.created) {
    await say(deps, state, config, text);
    await deps.store.setState(state.conversationId, 'waiting_approval', 'escalated');
    emit(config, {
      type: 'escalation',
      escalationId: escalation.id,
      reason: 'approval_required',
      priority: 'normal',
    });
  }
  const decision = interrupt({
    escalationId: escalation.id,
    pendingAction: packet.pendingAction,
  }) as ApprovalDecision;

  const records: CallRecord[] = [];
  const transcript: TranscriptEntry[] = [{ role: 'agent', text, at: deps.now().toISOString() }];
  if (!decision.approved) {
    transcript.push(
      await say(
        deps,
        state,
        config,
        `Our team reviewed your request and couldn't approve ${pending.action.label}${decision.note ? `: ${decision.note}` : ''}. A colleague will follow up with you here if there's anything else we can do.`,
      ),
    );
    await deps.store.closeEscalation(state.conversationId, 'resolved');
    return {
      transcript,
      calls: records,
      pendingApproval: null,
      escalation: { id: escalation.id, reason: 'approval_required' },
      outcome: 'escalated',
      status: 'escalated',
      next: 'finish',
    };
  }
  const result = await callConnector(deps, state, config, records, {
    connector: pending.action.connector,
    operation: pending.action.operation,
    input: pending.action.input,
    effect: 'write',
    options: { idempotencyKey: pending.idempotencyKey, approval: { approvedBy: decision.decidedBy } },
  });
  if (result.status !== 'ok') {
    transcript.push(
      await say(
        deps,
        state,
        config,
        "Your request was approved, but our system didn't complete it just now. A colleague is on it and will confirm here — nothing has been charged or changed twice.",
      ),
    );
    return {
      transcript,
      calls: records,
      pendingApproval: null,
      escalation: { id: escalation.id, reason: 'approval_required' },
      outcome: 'escalated',
      status: 'escalated',
      next: 'finish',
    };
  }
  transcript.push(
    await completeProcedure(deps, state, config, records, [
      ...pending.done,
      { action: pending.action, output: result.data as Record<string, unknown> },
    ]),
  );
  await deps.store.closeEscalation(state.conversationId, 'resolved');
  return {
    transcript,
    calls: records,
    pendingApproval: null,
    escalation: { id: escalation.id, reason: 'approval_required' },
    outcome: 'escalated',
    status: 'resolved',
    next: 'finish',
  };
}
