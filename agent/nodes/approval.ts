import { interrupt, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { ApprovalDecision } from '../agent.ts';
import type { AgentDependencies } from '../dependencies.ts';
import { buildEscalationPacket } from '../escalation-packet.ts';
import { escalationPriority } from '../escalation-priority.ts';
import type { EscalationReason } from '../escalation-reasons.ts';
import type {
  CallRecord,
  PendingApproval,
  SupportStateUpdate,
  SupportStateValue,
  TranscriptEntry,
} from '../state.ts';
import { completeProcedure } from './finish-procedure.ts';
import { callStoredWrite, emit, say } from './toolkit.ts';

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
  // The customer's words only: the policy's reason (field names, cents, limits) is for the team, in
  // the packet below. How soon the team answers is the chat's configured hand-off note, not said here.
  const text = `This needs approval from our billing team because it is above what I can do on my own. I've sent it to them with all the details; you'll get an answer here.`;
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
  // An amount above the auto-refund limit is urgent: the customer waits on a person for their money.
  const priority = escalationPriority(packet, 'normal', await deps.policy());
  // Unique by what the action does: a conversation asking for an action another conversation's
  // approval already holds is linked to that approval instead of opening a second one.
  const escalation = pending.actionKey
    ? await deps.store.openApproval(state.conversationId, pending.actionKey, packet, priority)
    : await deps.store.openEscalation(state.conversationId, 'approval_required', priority, packet);
  if (escalation.created) {
    await say(deps, state, config, text);
    emit(config, {
      type: 'escalation',
      escalationId: escalation.id,
      reason: 'approval_required',
      priority,
    });
  }
  const decision = interrupt({
    escalationId: escalation.id,
    pendingAction: packet.pendingAction,
  }) as ApprovalDecision;
  return carryOutDecision(state, deps, config, decision, {
    escalation: { id: escalation.id, reason: 'approval_required' },
    firstDecision: true,
    transcript: [{ role: 'agent', text, at: deps.now().toISOString() }],
  });
}

/**
 * The pending write of a live escalation that a human finishes from the console: a write that failed
 * after its retries (`connector_failure`), or an approved one that failed. Reached with
 * a run whose input is `{ next: 'decide' }`, the decision in `configurable.decision`
 * (agent/create-agent.ts).
 */
export async function decidePending(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const decision = config.configurable?.decision as ApprovalDecision | undefined;
  if (!decision || !state.pendingApproval || !state.escalation)
    throw new Error('decide node reached without a pending action, its escalation and a decision');
  return carryOutDecision(state, deps, config, decision, {
    escalation: state.escalation,
    firstDecision: false,
    transcript: [],
  });
}

/**
 * Carries out a human's decision on `state.pendingApproval`. Approved: the exact pending write runs
 * through the pipeline under its original idempotency key — a write that did happen before is
 * replayed, never made twice — then the procedure's success reply and confirmation email. Denied: the
 * customer is told it will not be done. A write that fails again changes nothing for the customer
 * (beyond the first answer to an approval they wait for): the escalation stays open with the action
 * pending, and the console gets a note saying why. The human's message to the customer, if any,
 * follows the outcome as written.
 */
async function carryOutDecision(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  decision: ApprovalDecision,
  context: {
    escalation: { id: string; reason: EscalationReason };
    /** The customer waits for an approval (not for a colleague to finish a failed write). */
    firstDecision: boolean;
    transcript: TranscriptEntry[];
  },
): Promise<SupportStateUpdate> {
  const pending = await runKeyOf(deps, state, state.pendingApproval!);
  const records: CallRecord[] = [];
  const transcript = [...context.transcript];
  const settled = {
    pendingApproval: null,
    escalation: context.escalation,
    outcome: 'escalated' as const,
    // The escalation is closed: the customer's next message is the assistant's again.
    status: 'resolved' as const,
    next: 'finish',
  };
  if (!decision.approved) {
    // A denial closes the escalation: nobody will follow up, so the customer is told plainly what was
    // decided and that the assistant is theirs again (docs/product.md, "Console").
    const outcome = context.firstDecision
      ? `Our team reviewed your request and couldn't approve ${pending.action.label}, so nothing has been changed.`
      : `Our team has decided not to go ahead with ${pending.action.label}, so nothing has been changed.`;
    transcript.push(
      await say(
        deps,
        state,
        config,
        decision.customerMessage
          ? outcome
          : `${outcome} If you have a question about this decision or need anything else, just write here.`,
      ),
    );
    if (decision.customerMessage)
      transcript.push(await sayAsWritten(deps, state, config, decision.customerMessage));
    await deps.store.closeEscalation(state.conversationId, 'resolved');
    return { ...settled, transcript, calls: records };
  }
  const result = await callStoredWrite(deps, state, config, records, pending.action, {
    idempotencyKey: pending.idempotencyKey,
    approval: { approvedBy: decision.decidedBy },
  });
  if (result.status !== 'ok') {
    if (context.firstDecision) {
      transcript.push(
        await say(
          deps,
          state,
          config,
          "Your request was approved, but our system didn't complete it just now, so nothing has been changed yet. A colleague will retry it as soon as the system is back and confirm here.",
        ),
      );
    }
    const why =
      result.status === 'error'
        ? `${result.error.kind}: ${result.error.message}`
        : result.status === 'human_required'
          ? `policy rule ${result.rule} requires a person`
          : `the policy asks for approval (${result.pendingAction.reason})`;
    await noteForTheTeam(
      deps,
      state,
      config,
      `${context.firstDecision ? 'Approved, but' : 'Retry failed:'} ${pending.action.connector}.${pending.action.operation} did not complete (${why}). Nothing was changed${context.firstDecision ? '' : ' and the customer was told nothing new'}; the action is still pending — retry it once ${pending.action.connector} is back.`,
      { kind: 'decision_failed', connector: pending.action.connector, operation: pending.action.operation },
    );
    // The pending action stays, and so does the open escalation: the decision can be made again.
    return {
      transcript,
      calls: records,
      escalation: context.escalation,
      outcome: 'escalated',
      status: 'escalated',
      next: 'finish',
    };
  }
  transcript.push(
    await completeProcedure(
      deps,
      state,
      config,
      records,
      [...pending.done, { action: pending.action, output: result.data as Record<string, unknown> }],
      // Every conversation waiting on one approval tells its customer the outcome; the confirmation
      // email is keyed by the action and the contact, so each customer gets one, however many of
      // their conversations asked (docs/product.md, "Approvals").
      pending.actionKey ? { emailScope: `approval:${pending.actionKey}` } : {},
    ),
  );
  if (decision.customerMessage)
    transcript.push(await sayAsWritten(deps, state, config, decision.customerMessage));
  // A conversation that waited on another conversation's approval is done: its human is over there.
  if (pending !== state.pendingApproval) {
    await deps.store.closeEscalation(state.conversationId, 'resolved');
    return { ...settled, transcript, calls: records };
  }
  // Approving and resolving are two steps: the escalation stays with the human who decided, so they
  // can still write to the customer, until they resolve it (or hand it back).
  await deps.store.settleEscalation(state.conversationId);
  return { ...settled, status: 'claimed', transcript, calls: records };
}

/**
 * The pending approval as it is carried out: a conversation linked to another conversation's approval
 * of the same action runs the write under that approval's idempotency key, so the action happens once
 * whichever of the conversations' decision turns runs first (the others replay its result).
 */
async function runKeyOf(
  deps: AgentDependencies,
  state: SupportStateValue,
  pending: PendingApproval,
): Promise<PendingApproval> {
  if (!pending.actionKey) return pending;
  const awaited = await deps.store.awaitedApproval(state.conversationId);
  return awaited ? { ...pending, idempotencyKey: awaited.idempotencyKey } : pending;
}

/**
 * The human's own message to the customer: said exactly as written (the reasoner never rephrases a
 * person's words) and marked as theirs. It is an agent reply so that it travels every way a reply
 * does — the live stream, the transcript, and the mail of an email conversation.
 */
function sayAsWritten(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  message: string,
): Promise<TranscriptEntry> {
  const verbatim = {
    ...deps,
    reasoner: { ...deps.reasoner, phrase: async (draft: { text: string }) => draft },
  };
  return say(verbatim, state, config, `A message from our support team: ${message}`);
}

/**
 * A note only the console sees (a `system` message, never shown to the customer), stored once per
 * turn: the turn's replies are announced to the console with it (conversations/turns.ts).
 */
async function noteForTheTeam(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  text: string,
  metadata: Record<string, unknown>,
): Promise<void> {
  const turn = config.configurable?.turn as { id: string } | undefined;
  await deps.store.appendMessage(
    state.conversationId,
    'system',
    text,
    metadata,
    turn ? `${turn.id}:note` : undefined,
  );
}
