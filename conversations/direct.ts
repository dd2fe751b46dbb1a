import type { ApprovalDecision, SupportAgent } from '../agent/agent.ts';
import type { AgentEvent, CustomerSession } from '../agent/events.ts';
import { asTurnInput, customerWords, storedInput, type TurnInput } from '../agent/turn-input.ts';
import { type ConversationLock, createInProcessConversationLock } from './lock.ts';
import type { createConversationStore } from './store.ts';
import { customerTurn } from './turns.ts';

type TurnEnd = Extract<AgentEvent, { type: 'turn-end' }>;

/**
 * Conversations driven in this process, turn by turn, with each turn's events streamed back: the
 * terminal chat, the eval runner and benchmarks. The same ownership as the workers' path
 * (conversations/turns.ts): one lock per turn, the row read once (created on first use) and written
 * once when the turn ends, before the turn's end is announced; the customer's message is stored
 * (a code masked) before the agent runs.
 */
export function createDirectConversations(options: {
  agent: SupportAgent;
  store: ReturnType<typeof createConversationStore>;
  lock?: ConversationLock;
}) {
  const { agent, store } = options;
  const lock = options.lock ?? createInProcessConversationLock();

  /** Runs `work` under the conversation's lock, streaming its events as they come. */
  async function* locked(
    conversationId: string,
    work: () => AsyncGenerator<AgentEvent>,
  ): AsyncGenerator<AgentEvent> {
    const queue: AgentEvent[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: unknown = null;
    const done = lock
      .run(conversationId, async () => {
        for await (const event of work()) {
          queue.push(event);
          wake?.();
        }
      })
      .catch((error: unknown) => {
        failure = error;
      })
      .finally(() => {
        finished = true;
        wake?.();
      });
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
    await done;
    if (failure) throw failure;
  }

  /** Streams the events of one turn, holding back its end until the row says where the turn left it. */
  async function* recorded(
    conversationId: string,
    readStatus: Parameters<typeof store.recordTurnEnd>[1],
    events: AsyncIterable<AgentEvent>,
  ): AsyncGenerator<AgentEvent> {
    let end: TurnEnd | null = null;
    for await (const event of events) {
      if (event.type === 'turn-end') end = event;
      else yield event;
    }
    if (!end) return;
    await store.recordTurnEnd(conversationId, readStatus, end);
    yield end;
  }

  return {
    /** A customer's turn: a message (a plain string) or a button press. */
    converse(
      conversationId: string,
      message: TurnInput | string,
      session: CustomerSession,
    ): AsyncIterable<AgentEvent> {
      return locked(conversationId, async function* () {
        const row = await store.ensureConversation(conversationId, session, null);
        const input = asTurnInput(message);
        const kept = storedInput(input);
        const received = await store.appendCustomerMessage(conversationId, customerWords(input), {
          ...(kept ? { input: kept } : {}),
          maskAllCodes: input.kind === 'verify_code',
        });
        const turn = {
          conversation: { status: row.status, verification: row.verification },
          message: received.text,
          codeHashes: received.codeHashes,
        };
        yield* recorded(
          conversationId,
          row.status,
          customerTurn(agent, conversationId, input, session, turn),
        );
      });
    },

    /** A human's decision on the conversation's pending action (the eval runner's approver). */
    decide(conversationId: string, decision: ApprovalDecision): AsyncIterable<AgentEvent> {
      return locked(conversationId, async function* () {
        const row = await store.conversation(conversationId);
        if (!row) throw new Error(`No conversation ${conversationId}`);
        const turn = { conversation: { status: row.status, verification: row.verification } };
        yield* recorded(conversationId, row.status, agent.decideApproval(conversationId, decision, turn));
      });
    },
  };
}

export type DirectConversations = ReturnType<typeof createDirectConversations>;
