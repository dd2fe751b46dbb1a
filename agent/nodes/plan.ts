import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import type { IntentId } from '../intents.ts';
import { type Plan, ReadFailed } from '../procedures/procedure.ts';
import { procedureFor } from '../procedures/registry.ts';
import type { CallRecord, SupportStateUpdate, SupportStateValue, TranscriptEntry } from '../state.ts';
import { strongerOutcome } from '../state.ts';
import { pendingActionId } from '../turn-input.ts';
import { sendEmail } from './finish-procedure.ts';
import { emit, procedureContext, say } from './toolkit.ts';
import { sendNewAddressCode } from './verify.ts';

/** Intents the kb-only baseline still handles itself; everything else is answered from documents. */
const kbOnlyIntents: IntentId[] = ['kb.question', 'other', 'human.request', 'account.access'];

/**
 * Runs the active procedure's `plan` (reads through the pipeline) and carries out its decision for
 * this turn: ask for a slot, ask for confirmation, reply, send an email, or hand over.
 */
export async function plan(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const intent: IntentId =
    deps.kbOnly && state.intent && !kbOnlyIntents.includes(state.intent) ? 'kb.question' : state.intent!;
  const procedure = procedureFor(deps, intent);
  // Reads of the customer's own records need a verified customer, or an email whose mailbox DMARC
  // proved; writes (asked for below, as a confirmation) always need a verified one.
  const mayRead = state.customer?.verified || state.customer?.mailboxProven;
  if (procedure.verification === 'required' && !mayRead) return { next: 'verify' };
  const records: CallRecord[] = [];
  // A declarative procedure reads its own slots (the reasoner knows only the built-in ones).
  const slots = procedure.slotsFrom
    ? {
        ...state.slots,
        ...procedure.slotsFrom(state.message, {
          now: deps.now(),
          timezone: state.customer?.timezone ?? 'UTC',
          expecting: state.awaiting?.kind === 'slot' ? state.awaiting.slot : null,
        }),
      }
    : state.slots;
  let decision: Plan;
  try {
    decision = await procedure.plan(
      await procedureContext(deps, { ...state, intent, slots }, config, records),
    );
  } catch (error) {
    if (!(error instanceof ReadFailed)) throw error;
    decision = readFailurePlan(error, procedure.title);
  }
  const update: SupportStateUpdate = { calls: records, decision, ...(procedure.slotsFrom ? { slots } : {}) };
  const transcript: TranscriptEntry[] = [];
  switch (decision.kind) {
    case 'ask': {
      transcript.push(await say(deps, state, config, decision.prompt));
      emit(config, { type: 'slot-request', slot: decision.slot, prompt: decision.prompt });
      const asked =
        state.awaiting?.kind === 'slot' && state.awaiting.slot === decision.slot ? state.awaiting.asked : 1;
      return {
        ...update,
        transcript,
        awaiting: { kind: 'slot', slot: decision.slot, asked },
        status: 'waiting_customer',
        next: 'finish',
      };
    }
    case 'prove': {
      if (decision.proof === 'account_holder') return { ...update, next: 'verify' };
      return {
        ...update,
        ...(await sendNewAddressCode(state, deps, config, decision.email, decision.prompt)),
      };
    }
    case 'confirm': {
      // An email's DMARC pass is not enough to change anything: the one-time code first, then the
      // plan runs again and asks for confirmation.
      if (procedure.verification === 'required' && !state.customer?.verified)
        return { ...update, next: 'verify' };
      transcript.push(await say(deps, state, config, decision.prompt));
      emit(config, {
        type: 'confirmation-request',
        prompt: decision.prompt,
        actionId: pendingActionId(decision.actions),
        actions: decision.actions.map(({ connector, operation, input }) => ({ connector, operation, input })),
      });
      return {
        ...update,
        transcript,
        awaiting: { kind: 'confirmation', asked: 1 },
        pendingActions: decision.actions,
        status: 'waiting_customer',
        next: 'finish',
      };
    }
    case 'reply': {
      transcript.push(await say(deps, state, config, decision.text, decision.citations ?? []));
      emit(config, { type: 'resolution', outcome: decision.outcome });
      return {
        ...update,
        transcript,
        awaiting: null,
        pendingActions: null,
        outcome: strongerOutcome(state.outcome, decision.outcome),
        status: 'open',
        next: 'finish',
      };
    }
    case 'send': {
      const sent = await sendEmail(deps, state, config, records, decision.email);
      const text = sent
        ? decision.text
        : `${decision.text} (Our email system is slow right now; the email will follow shortly.)`;
      transcript.push(await say(deps, state, config, text));
      emit(config, { type: 'resolution', outcome: 'resolved' });
      return {
        ...update,
        transcript,
        awaiting: null,
        outcome: strongerOutcome(state.outcome, 'resolved'),
        status: 'open',
        next: 'finish',
      };
    }
    case 'escalate':
      return { ...update, next: 'escalate' };
  }
}

function readFailurePlan(error: ReadFailed, title: string): Plan {
  if (error.failure.failure === 'human_required') {
    return {
      kind: 'escalate',
      reason: 'policy_requires_human',
      priority: 'normal',
      text: `Requests like ${title} on your account are handled by a person on our team, so I've passed it to them with the details. They'll reply here.`,
      summary: `Policy requires a human for ${error.what}: ${error.failure.message}`,
    };
  }
  if (
    error.failure.failure === 'forbidden' ||
    error.failure.failure === 'not_found' ||
    error.failure.failure === 'invalid_input'
  ) {
    return {
      kind: 'reply',
      outcome: 'answered',
      text: "I couldn't find that on your account. Please check the reference — I can only look at your own company's records.",
    };
  }
  return {
    kind: 'escalate',
    reason: 'connector_failure',
    priority: 'high',
    text: `I can't reach one of our systems right now, so I can't help with ${title} myself at the moment. I've passed it to a colleague with the details; they'll follow up here — nothing has been changed on your account.`,
    summary: `${error.what} failed and no cached data was available: ${error.failure.message}`,
  };
}
