import type { AgentEvent, CustomerSession } from '../agent/events.ts';
import { customerWords, type TurnInput } from '../agent/turn-input.ts';
import type { StopReason } from './checks/index.ts';
import type { ConversationDriver } from './environment.ts';
import type { Scenario } from './scenario-schema.ts';
import type { SimulatedCustomer } from './simulated-customer.ts';
import {
  type AgentTurn,
  type TokenUsage,
  type TranscriptEntry,
  transcriptEntryOf,
  usageOf,
} from './transcript.ts';

/** The default `max_turns` (customer messages) when a scenario sets none. */
export const defaultMaxTurns = 6;

/** What a played-out conversation leaves besides the end state of the systems. */
export interface ConversationRecord {
  transcript: TranscriptEntry[];
  customerMessages: number;
  stoppedBy: StopReason;
  /** From each customer message to the agent's `turn-end`. */
  turnLatenciesMs: number[];
  humanDecided: boolean;
  /** The agent emitted `resolution` with outcome resolved ("it's done"). */
  claimedResolution: boolean;
  /** Tokens the agent reported on its `message` events; null when it reported none. */
  agentUsage: TokenUsage | null;
  /** The actions of every confirmation the agent asked for, in order (for the wrong-proposals metric). */
  proposals: ProposedAction[][];
  error?: string;
}

/** One action a confirmation proposed, named as the canonical writes are (`billing.refund_payment`). */
export interface ProposedAction {
  op: string;
  args: Record<string, unknown>;
}

/** Statuses after which the agent is not waiting for the customer any more (a human may have it). */
const finalStatuses = new Set(['closed', 'escalated', 'claimed']);

/**
 * Plays a scenario's conversation: the customer opens, the agent answers, the customer replies
 * until the agent escalates, the conversation closes, the customer has nothing more to say (after a
 * resolution: no further `says`), or `max_turns` messages were sent. An approval the agent waits
 * for is decided by the scenario's `human`.
 */
export async function playConversation(options: {
  conversations: ConversationDriver;
  conversationId: string;
  session: CustomerSession;
  scenario: Scenario;
  customer: SimulatedCustomer;
  turnTimeoutMs: number;
}): Promise<ConversationRecord> {
  const { conversations, conversationId, session, scenario, customer, turnTimeoutMs } = options;
  const maxTurns = scenario.expect.max_turns ?? defaultMaxTurns;
  const record: ConversationRecord = {
    transcript: [],
    customerMessages: 0,
    stoppedBy: 'nothing-to-say',
    turnLatenciesMs: [],
    humanDecided: false,
    claimedResolution: false,
    agentUsage: null,
    proposals: [],
  };
  const absorb = (turn: AgentTurn) => {
    for (const event of turn.events) {
      const entry = transcriptEntryOf(event, turn.latencyMs);
      if (entry) record.transcript.push(entry);
      if (event.type === 'resolution' && event.outcome === 'resolved') record.claimedResolution = true;
      if (event.type === 'confirmation-request')
        record.proposals.push(
          event.actions.map((action) => ({
            op: `${action.connector}.${action.operation}`,
            args: action.input,
          })),
        );
      const usage = usageOf(event);
      if (usage) {
        record.agentUsage ??= { inputTokens: 0, outputTokens: 0 };
        record.agentUsage.inputTokens += usage.inputTokens;
        record.agentUsage.outputTokens += usage.outputTokens;
      }
    }
    if (turn.error) {
      record.transcript.push({ kind: 'error', message: turn.error });
      record.error ??= turn.error;
    }
  };

  let message: TurnInput | null = { kind: 'message', text: await customer.opening() };
  while (message !== null) {
    // The transcript shows what the customer said or pressed, in their own words.
    record.transcript.push({ kind: 'customer', text: customerWords(message) });
    record.customerMessages += 1;
    const sent = message;
    const turn = await collectTurn(
      () => conversations.converse(conversationId, sent, session),
      turnTimeoutMs,
    );
    absorb(turn);
    if (turn.error) {
      record.stoppedBy = 'error';
      break;
    }
    record.turnLatenciesMs.push(turn.latencyMs);
    const escalation = turn.events.find((event) => event.type === 'escalation');
    const status = endStatusOf(turn);
    if (escalation || status === 'waiting_approval') {
      const awaitsApproval =
        status === 'waiting_approval' ||
        (escalation?.type === 'escalation' && escalation.reason === 'approval_required');
      const approves = scenario.human?.approves;
      if (awaitsApproval && approves !== undefined) {
        record.humanDecided = true;
        record.transcript.push({ kind: 'human', approved: approves });
        const decision = await collectTurn(
          () => conversations.decide(conversationId, { approved: approves, decidedBy: 'eval-human' }),
          turnTimeoutMs,
        );
        absorb(decision);
      }
      record.stoppedBy = record.error ? 'error' : 'escalation';
      break;
    }
    const resolved = turnResolved(turn, status);
    if (!resolved && status && finalStatuses.has(status)) {
      record.stoppedBy = 'closed';
      break;
    }
    message = resolved
      ? await customer.followUp(turn, record.transcript)
      : await customer.reply(turn, record.transcript);
    if (message === null) {
      record.stoppedBy = resolved ? 'resolution' : 'nothing-to-say';
      break;
    }
    if (record.customerMessages >= maxTurns) {
      record.stoppedBy = 'max-turns';
      break;
    }
  }
  return record;
}

/**
 * A turn resolved the customer's request only when its last `resolution` comes after its last
 * request (slot, confirmation, verification): a second request the agent queued in the same turn
 * after resolving the first one still waits for the customer's answer (issue #19, the runner defect).
 */
export function turnResolved(turn: AgentTurn, status = endStatusOf(turn)): boolean {
  const lastResolution = turn.events.findLastIndex((event) => event.type === 'resolution');
  const lastRequest = turn.events.findLastIndex(
    (event) =>
      event.type === 'slot-request' ||
      event.type === 'confirmation-request' ||
      event.type === 'verification-request',
  );
  if (lastRequest > lastResolution) return false;
  return lastResolution >= 0 || status === 'resolved';
}

function endStatusOf(turn: AgentTurn): string | undefined {
  const last = turn.events.findLast((event) => event.type === 'turn-end');
  return last?.type === 'turn-end' ? last.status : undefined;
}

const timedOut = Symbol('timed out');

/**
 * Drains one turn's events. The latency runs to the `turn-end` event; a turn that throws, ends
 * without `turn-end` or exceeds `timeoutMs` is reported in `error` with the events it did emit.
 */
export async function collectTurn(
  start: () => AsyncIterable<AgentEvent>,
  timeoutMs: number,
): Promise<AgentTurn> {
  const startedAt = performance.now();
  const events: AgentEvent[] = [];
  let latencyMs: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const iterator = start()[Symbol.asyncIterator]();
    const deadline = startedAt + timeoutMs;
    for (;;) {
      const next = await Promise.race([
        iterator.next(),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), Math.max(0, deadline - performance.now()));
        }),
      ]);
      clearTimeout(timer);
      if (next === timedOut) {
        void Promise.resolve(iterator.return?.()).catch(() => {});
        return {
          events,
          latencyMs: performance.now() - startedAt,
          error: `the agent's turn did not end within ${timeoutMs} ms`,
        };
      }
      if (next.done) break;
      events.push(next.value);
      if (next.value.type === 'turn-end') latencyMs = performance.now() - startedAt;
    }
  } catch (error) {
    clearTimeout(timer);
    return {
      events,
      latencyMs: performance.now() - startedAt,
      error: `the agent threw: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (latencyMs === null) {
    return {
      events,
      latencyMs: performance.now() - startedAt,
      error: 'the turn ended without a turn-end event',
    };
  }
  return { events, latencyMs };
}
