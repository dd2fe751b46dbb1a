import { Command, INTERRUPT } from '@langchain/langgraph';
import { isConnectionLoss } from '../db/database.ts';
import type { ApprovalDecision, SupportAgent, TurnContext } from './agent.ts';
import type { AgentDependencies } from './dependencies.ts';
import { buildEscalationPacket } from './escalation-packet.ts';
import type { AgentEvent, ConversationStatus } from './events.ts';
import { createSupportGraph } from './graph.ts';
import type { SupportStateValue } from './state.ts';
import { storedInput } from './turn-input.ts';

/**
 * The support agent: one graph run per turn, its memory checkpointed per conversation (thread =
 * conversation id). It is driven by the conversation's owner (conversations/turns.ts), which runs the
 * turns of a conversation one at a time under its lock, has stored the customer's message before the
 * turn starts (so a crash never loses it) and stores the status each turn ends with.
 */
export function createSupportAgent(
  deps: AgentDependencies,
): SupportAgent & { graph: ReturnType<typeof createSupportGraph> } {
  const graph = createSupportGraph(deps);

  async function* run(
    conversationId: string,
    input: unknown,
    turn: TurnContext,
    /** Read by the nodes of this run only (e.g. the human's decision for `decide`). */
    extra: Record<string, unknown> = {},
  ): AsyncGenerator<AgentEvent> {
    // Checkpoint when the run ends or pauses, not after every node: a crash mid-turn replays the
    // turn, which is safe because every write runs under its idempotency key (measured in
    // bench/agent/turn-latency.ts: per-node checkpoints were ~40% of a turn on PGlite).
    const config = {
      // `turn` is shared by reference across the run's nodes: `say` numbers the replies with it.
      configurable: {
        ...extra,
        thread_id: conversationId,
        ...(turn.turnId ? { turn: { id: turn.turnId, replies: 0 } } : {}),
      },
      // The nodes' events ('custom'), and the state after each step ('values'): the last one is the
      // state the run checkpoints on exit, so a finished run needs no read of it back.
      streamMode: ['custom', 'values'] as Array<'custom' | 'values'>,
      recursionLimit: 40,
      durability: 'exit' as const,
    };
    /** The state after the run's last step; null when the run paused (interrupt) or failed. */
    let finalValues: SupportStateValue | null = null;
    let settled = true;
    try {
      for await (const [mode, chunk] of (await graph.stream(input as never, config)) as AsyncIterable<
        ['custom' | 'values', unknown]
      >) {
        if (mode === 'custom') yield chunk as AgentEvent;
        else if (INTERRUPT in (chunk as object)) settled = false;
        else finalValues = chunk as SupportStateValue;
      }
    } catch (error) {
      settled = false;
      // The database connection lost mid-run (a restart, a terminated backend) is not the agent's
      // failure: the turn fails and its owner runs it again (conversations/turns.ts), which is safe
      // since every reply and write of a turn is idempotent. Escalating instead handed customers to a
      // person for a blip (found by `npm run chaos`).
      if (isConnectionLoss(error)) throw error;
      yield* failSafe(conversationId, error as Error, turn);
    }
    if (settled && finalValues) {
      // Reading the checkpoint back instead cost a query and a deserialised state per turn
      // (docs/api-benchmark.md, "Where a turn's CPU went").
      yield {
        type: 'turn-end',
        status: finalValues.status ?? 'open',
        outcome: finalValues.outcome ?? null,
        intent: finalValues.intent ?? null,
      };
      return;
    }
    // A pause for approval, or the fail-safe's update: where the thread stands is what was stored.
    const snapshot = await graph.getState({ configurable: { thread_id: conversationId } });
    const values = snapshot.values as SupportStateValue;
    const status: ConversationStatus = snapshot.next.includes('approval')
      ? 'waiting_approval'
      : (values.status ?? 'open');
    yield { type: 'turn-end', status, outcome: values.outcome ?? null, intent: values.intent ?? null };
  }

  /** Anything unexpected: the customer is told the truth and a human gets the conversation — never silently stuck. */
  async function* failSafe(
    conversationId: string,
    error: Error,
    turn: TurnContext,
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
        turn.turnId ? `${turn.turnId}:fail-safe` : undefined,
      );
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
      // The hand-over could not be recorded (the database is what failed): saying "passed to a
      // colleague" would be untrue, and ending the turn would leave the conversation silently stuck
      // without its state (found by `npm run chaos`: a confirmation lost when PostgreSQL connections
      // were terminated). The turn fails instead and is run again — its replies and writes are
      // idempotent — until it succeeds or is given up to a human (conversations/turns.ts).
      throw error;
    }
  }

  return {
    graph,
    handleMessage(conversationId, input, session, turn) {
      return run(
        conversationId,
        {
          conversationId,
          session,
          verification: turn.conversation.verification,
          input: storedInput(input) ?? { kind: 'message', text: turn.message },
          message: turn.message,
          codeHashes: turn.codeHashes,
          next: '',
        },
        turn,
      );
    },
    decideApproval(conversationId: string, decision: ApprovalDecision, turn: TurnContext) {
      return (async function* (): AsyncGenerator<AgentEvent> {
        const snapshot = await graph.getState({ configurable: { thread_id: conversationId } });
        const state = snapshot.values as SupportStateValue;
        const paused = snapshot.next.includes('approval');
        const pending = state.pendingApproval ?? null;
        // A write handed over with a failure (or approved, then failed) is finished by the `decide`
        // node; its escalation is still the conversation's (a hand-back clears the pending write).
        const handedOver =
          !paused &&
          pending !== null &&
          (turn.conversation.status === 'escalated' || turn.conversation.status === 'claimed') &&
          (state.escalation?.reason === 'connector_failure' ||
            state.escalation?.reason === 'approval_required');
        const voidBecause =
          !paused && !handedOver
            ? 'nothing waits for a decision any more'
            : decision.actionKey !== undefined && decision.actionKey !== pending?.idempotencyKey
              ? 'the pending action is no longer the one decided on'
              : null;
        if (voidBecause) {
          // Nothing is done and the customer is told nothing: the console sees why.
          await deps.store.appendMessage(
            conversationId,
            'system',
            `This decision was not carried out: ${voidBecause}.`,
            { kind: 'decision_void' },
            turn.turnId ? `${turn.turnId}:note` : undefined,
          );
          yield { type: 'turn-end', status: paused ? 'waiting_approval' : turn.conversation.status };
          return;
        }
        yield* paused
          ? run(conversationId, new Command({ resume: decision }), turn)
          : run(conversationId, { next: 'decide' }, turn, { decision });
      })();
    },
    async handBack(conversationId: string, humanId: string): Promise<void> {
      const snapshot = await graph.getState({ configurable: { thread_id: conversationId } });
      if (snapshot.next.includes('approval')) {
        const denial = { approved: false, decidedBy: humanId };
        const turn = { conversation: { status: 'waiting_approval' as const, verification: null } };
        for await (const _event of this.decideApproval(conversationId, denial, turn)) {
          // Drained: the denial is told to the customer by the approval node.
        }
      }
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
