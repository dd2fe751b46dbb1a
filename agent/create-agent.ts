import { Command } from '@langchain/langgraph';
import type { ApprovalDecision, SupportAgent, TurnOptions } from './agent.ts';
import type { AgentDependencies } from './dependencies.ts';
import { buildEscalationPacket } from './escalation-packet.ts';
import type { AgentEvent, ConversationStatus, CustomerSession } from './events.ts';
import { createSupportGraph } from './graph.ts';
import type { SupportStateValue } from './state.ts';

const silentStatuses: ConversationStatus[] = ['escalated', 'claimed', 'waiting_approval'];

/**
 * The support agent: one graph run per customer message, checkpointed per conversation, turns of one
 * conversation strictly one at a time and in order. The customer's message is stored before anything
 * runs, so a crash never loses it.
 */
export function createSupportAgent(
  deps: AgentDependencies,
): SupportAgent & { graph: ReturnType<typeof createSupportGraph> } {
  const graph = createSupportGraph(deps);
  const queues = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier turn of the conversation, streaming its events. */
  async function* serialized(
    conversationId: string,
    work: () => AsyncGenerator<AgentEvent>,
  ): AsyncGenerator<AgentEvent> {
    const previous = queues.get(conversationId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    queues.set(conversationId, tail);
    await previous.catch(() => {});
    try {
      yield* work();
    } finally {
      release();
      if (queues.get(conversationId) === tail) queues.delete(conversationId);
    }
  }

  async function* run(
    conversationId: string,
    input: unknown,
    turn?: TurnOptions,
  ): AsyncGenerator<AgentEvent> {
    // Checkpoint when the run ends or pauses, not after every node: a crash mid-turn replays the
    // turn, which is safe because every write runs under its idempotency key (measured in
    // bench/agent/turn-latency.ts: per-node checkpoints were ~40% of a turn on PGlite).
    const config = {
      // `turn` is shared by reference across the run's nodes: `say` numbers the replies with it.
      configurable: { thread_id: conversationId, ...(turn ? { turn: { id: turn.turnId, replies: 0 } } : {}) },
      streamMode: 'custom' as const,
      recursionLimit: 40,
      durability: 'exit' as const,
    };
    try {
      for await (const chunk of await graph.stream(input as never, config)) yield chunk as AgentEvent;
    } catch (error) {
      yield* failSafe(conversationId, error as Error, turn);
    }
    const snapshot = await graph.getState({ configurable: { thread_id: conversationId } });
    const values = snapshot.values as SupportStateValue;
    const status: ConversationStatus = snapshot.next.includes('approval')
      ? 'waiting_approval'
      : (values.status ?? 'open');
    yield { type: 'turn-end', status };
  }

  /** Anything unexpected: the customer is told the truth and a human gets the conversation — never silently stuck. */
  async function* failSafe(
    conversationId: string,
    error: Error,
    turn: TurnOptions | undefined,
  ): AsyncGenerator<AgentEvent> {
    const text =
      "Sorry — something went wrong on our side and I couldn't finish this. I've passed the conversation to a colleague, who will follow up here.";
    try {
      const snapshot = await graph.getState({ configurable: { thread_id: conversationId } });
      const state = snapshot.values as SupportStateValue;
      const packet = buildEscalationPacket(
        {
          ...state,
          conversationId,
          transcript: state.transcript ?? [],
          calls: state.calls ?? [],
          slots: state.slots ?? {},
        } as SupportStateValue,
        'connector_failure',
        `Agent error: ${error.message}`,
        [],
        [],
      );
      const escalation = await deps.store.openEscalation(conversationId, 'connector_failure', 'high', packet);
      await deps.store.appendMessage(
        conversationId,
        'agent',
        text,
        {},
        turn ? `${turn.turnId}:fail-safe` : undefined,
      );
      await deps.store.setState(conversationId, 'escalated', 'escalated');
      await graph.updateState(
        { configurable: { thread_id: conversationId } },
        { status: 'escalated', outcome: 'escalated' },
      );
      yield { type: 'message', text, citations: [] };
      yield {
        type: 'escalation',
        escalationId: escalation.id,
        reason: 'connector_failure',
        priority: 'high',
      };
    } catch {
      yield { type: 'message', text, citations: [] };
    }
  }

  return {
    graph,
    handleMessage(
      conversationId: string,
      message: string,
      session: CustomerSession,
      turn?: TurnOptions,
    ): AsyncIterable<AgentEvent> {
      return serialized(conversationId, async function* () {
        const conversation = await deps.store.ensureConversation(conversationId, session, null);
        if (!turn?.stored) await deps.store.appendMessage(conversationId, 'customer', message);
        if (silentStatuses.includes(conversation.status)) {
          // A human has (or will take) the conversation: the agent never talks over them.
          yield { type: 'turn-end', status: conversation.status };
          return;
        }
        yield* run(conversationId, { conversationId, session, message, next: '' }, turn);
      });
    },
    decideApproval(
      conversationId: string,
      decision: ApprovalDecision,
      turn?: TurnOptions,
    ): AsyncIterable<AgentEvent> {
      return serialized(conversationId, async function* () {
        const snapshot = await graph.getState({ configurable: { thread_id: conversationId } });
        if (!snapshot.next.includes('approval'))
          throw new Error(`conversation ${conversationId} has no action waiting for approval`);
        yield* run(conversationId, new Command({ resume: decision }), turn);
      });
    },
    async handBack(conversationId: string, humanId: string): Promise<void> {
      const snapshot = await graph.getState({ configurable: { thread_id: conversationId } });
      if (snapshot.next.includes('approval')) {
        for await (const _event of this.decideApproval(conversationId, {
          approved: false,
          decidedBy: humanId,
          note: 'handed back to the assistant without approval',
        })) {
          // Drained: the denial is told to the customer by the approval node.
        }
      }
      await deps.store.closeEscalation(conversationId, 'handed_back');
      await deps.store.setState(conversationId, 'open', null);
      await graph.updateState(
        { configurable: { thread_id: conversationId } },
        {
          status: 'open',
          awaiting: null,
          pendingActions: null,
          pendingApproval: null,
          escalation: null,
          queuedIntents: [],
          clarifications: 0,
        },
      );
    },
  };
}
