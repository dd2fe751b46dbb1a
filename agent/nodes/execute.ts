import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import type { WriteAction } from '../procedures/procedure.ts';
import { procedureFor } from '../procedures/registry.ts';
import type { CallRecord, SupportStateUpdate, SupportStateValue } from '../state.ts';
import { strongerOutcome } from '../state.ts';
import { completeProcedure, writeKey } from './finish-procedure.ts';
import { callStoredWrite, emit, say } from './toolkit.ts';

/**
 * Carries out the confirmed writes through the pipeline, in order. An action limit pauses for a
 * human's approval; a policy rule or a write that fails after its retries hands over — the
 * customer is never told it is done unless every write succeeded. A first write refused with
 * `conflict` by a procedure that re-reads the world (`replanOnConflict`) is planned again instead.
 */
export async function execute(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const records: CallRecord[] = [];
  const results: Array<{ action: WriteAction; output: Record<string, unknown> }> = [];
  for (const action of state.pendingActions ?? []) {
    const idempotencyKey = writeKey(state.conversationId, action.connector, action.operation, action.input);
    const result = await callStoredWrite(deps, state, config, records, action, { idempotencyKey });
    if (result.status === 'ok') {
      results.push({ action, output: result.data as Record<string, unknown> });
      continue;
    }
    if (result.status === 'approval_required') {
      return {
        calls: records,
        pendingActions: null,
        pendingApproval: {
          action,
          idempotencyKey: result.pendingAction.idempotencyKey,
          actionKey: result.pendingAction.actionKey,
          reason: result.pendingAction.reason,
          done: results,
        },
        next: 'approval',
      };
    }
    if (
      result.status === 'error' &&
      result.error.kind === 'conflict' &&
      results.length === 0 &&
      state.intent &&
      procedureFor(deps, state.intent).replanOnConflict
    ) {
      // Nothing was done, and what was offered is gone (taken by someone else meanwhile): say so, and
      // plan again from the current state — a new offer to confirm, never a hand-over as if down.
      const entry = await say(
        deps,
        state,
        config,
        "Sorry, that changed while we were talking, so I haven't done it. Let me check again.",
      );
      return { calls: records, transcript: [entry], pendingActions: null, next: 'plan' };
    }
    const failure =
      result.status === 'human_required'
        ? {
            reason: 'policy_requires_human' as const,
            text: 'This change on your account has to be made by a person on our team, so I have passed it to them with all the details. They will reply here.',
            summary: `Policy rule ${result.rule} requires a human for ${action.label}.`,
          }
        : {
            reason: 'connector_failure' as const,
            text: `I couldn't complete this: our ${action.connector} system isn't responding right now, so nothing has been changed yet. I've passed it to a colleague, who will retry it as soon as the system is back and confirm here.`,
            summary: `${action.connector}.${action.operation} failed after retries (${result.error.kind}: ${result.error.message}). Pending action: ${action.label}.${results.length > 0 ? ` Already done: ${results.map((item) => item.action.label).join('; ')}.` : ''}`,
          };
    return {
      calls: records,
      pendingActions: null,
      decision: { kind: 'escalate', priority: 'high', ...failure },
      pendingApproval: { action, idempotencyKey, reason: failure.summary, done: results },
      next: 'escalate',
    };
  }
  const entry = await completeProcedure(deps, state, config, records, results);
  emit(config, { type: 'resolution', outcome: 'resolved' });
  return {
    calls: records,
    transcript: [entry],
    pendingActions: null,
    outcome: strongerOutcome(state.outcome, 'resolved'),
    status: 'open',
    next: 'finish',
  };
}
