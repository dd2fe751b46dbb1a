import { randomUUID } from 'node:crypto';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { contracts, knowledge } from '../../connectors/contracts.ts';
import type { AnyOperationContract, ContractInput, ContractOutput } from '../../connectors/core/contract.ts';
import type { CallOptions } from '../../connectors/core/gateway.ts';
import type { CallResult } from '../../connectors/core/result.ts';
import { guardStrings, stripInstructions } from '../content-guard.ts';
import { type AgentDependencies, callerSession } from '../dependencies.ts';
import type { AgentEvent, Citation } from '../events.ts';
import {
  type KnowledgeAnswer,
  type ProcedureContext,
  ReadFailed,
  type ReadOutcome,
} from '../procedures/procedure.ts';
import type { CallRecord, SupportStateValue, TranscriptEntry } from '../state.ts';

/** Streams an event to whoever runs the turn (graph `custom` stream mode). */
export function emit(config: LangGraphRunnableConfig, event: AgentEvent): void {
  config.writer?.(event);
}

/** Says something to the customer: phrased by the reasoner from the draft, streamed, stored. */
export async function say(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  text: string,
  citations: Citation[] = [],
): Promise<TranscriptEntry> {
  const phrased = await deps.reasoner.phrase({ text, facts: {} });
  emit(config, { type: 'text-delta', text: phrased.text });
  emit(config, { type: 'message', text: phrased.text, citations });
  await deps.store.appendMessage(
    state.conversationId,
    'agent',
    phrased.text,
    citations.length > 0 ? { citations } : {},
    replyKey(config),
  );
  return {
    role: 'agent',
    text: phrased.text,
    at: deps.now().toISOString(),
    ...(citations.length > 0 ? { citations } : {}),
  };
}

/**
 * The key reply n of a stored-message turn is kept under, so a turn replayed after a crash stores
 * each reply once (the reply count restarts with the replay: the graph takes the same path).
 */
function replyKey(config: LangGraphRunnableConfig): string | undefined {
  const turn = config.configurable?.turn as { id: string; replies: number } | undefined;
  if (!turn) return undefined;
  const key = `${turn.id}:reply:${turn.replies}`;
  turn.replies += 1;
  return key;
}

/** Calls a connector operation, named by its contract, through the pipeline: streams tool-call events and records the call. */
export async function callConnector<C extends AnyOperationContract>(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  records: CallRecord[],
  request: { operation: C; input: ContractInput<C>; options?: CallOptions },
): Promise<CallResult<ContractOutput<C>>> {
  const { operation } = request;
  return recorded(deps, state, config, records, operation.connector, operation.name, operation.effect, () =>
    deps.gateway.call(
      callerSession(state.conversationId, state.customer),
      operation,
      request.input,
      request.options,
    ),
  );
}

/**
 * Runs a write kept as plain data (`{connector, operation, input}` in the checkpoint or an escalation's
 * pending action): resolved to its contract, then called like any other. A name no contract declares
 * (an old checkpoint of a removed operation) still goes to the pipeline, which refuses it and audits it.
 */
export async function callStoredWrite(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  records: CallRecord[],
  action: { connector: string; operation: string; input: Record<string, unknown> },
  options: CallOptions,
): Promise<CallResult<Record<string, unknown>>> {
  const session = callerSession(state.conversationId, state.customer);
  const contract = contracts.resolve(action.connector, action.operation);
  return recorded(deps, state, config, records, action.connector, action.operation, 'write', async () =>
    contract
      ? ((await deps.gateway.call(session, contract, action.input, options)) as CallResult<
          Record<string, unknown>
        >)
      : deps.gateway.callByName<Record<string, unknown>>(
          session,
          action.connector,
          action.operation,
          action.input,
          options,
        ),
  );
}

async function recorded<Output>(
  deps: AgentDependencies,
  _state: SupportStateValue,
  config: LangGraphRunnableConfig,
  records: CallRecord[],
  connector: string,
  operation: string,
  effect: 'read' | 'write',
  run: () => Promise<CallResult<Output>>,
): Promise<CallResult<Output>> {
  const callId = randomUUID();
  emit(config, { type: 'tool-call-start', callId, connector, operation });
  const started = performance.now();
  const result = await run();
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  const status = result.status === 'ok' ? (result.stale ? 'stale' : 'ok') : result.status;
  const record: CallRecord = {
    connector,
    operation,
    effect,
    status,
    latencyMs,
    at: deps.now().toISOString(),
    ...(result.status === 'error' ? { errorKind: result.error.kind, message: result.error.message } : {}),
  };
  records.push(record);
  emit(config, {
    type: 'tool-call-end',
    callId,
    connector,
    operation,
    status,
    latencyMs,
    ...(result.status === 'error' ? { errorKind: result.error.kind } : {}),
  });
  return result;
}

/** What procedures see: reads through the pipeline (recorded), knowledge answers, clock and policy. */
export async function procedureContext(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  records: CallRecord[],
): Promise<ProcedureContext> {
  const policy = await deps.policy();
  const read = async <C extends AnyOperationContract>(
    operation: C,
    input: ContractInput<C>,
  ): Promise<ReadOutcome<ContractOutput<C>>> =>
    readOutcome(
      operation.connector,
      operation.name,
      await callConnector(deps, state, config, records, { operation, input }),
    );
  const readByName = async (
    connector: string,
    operation: string,
    input: Record<string, unknown>,
  ): Promise<ReadOutcome<Record<string, unknown>>> => {
    // Only reads: a write runs after the customer's yes, through `execute`, never from a plan.
    const effect = deps.gateway
      .describe()
      .find((candidate) => candidate.id === connector)
      ?.operations.find((candidate) => candidate.name === operation)?.effect;
    if (effect === 'write')
      return { ok: false, failure: 'invalid_input', message: `${connector}.${operation} is a write` };
    const session = callerSession(state.conversationId, state.customer);
    const result = await recorded(deps, state, config, records, connector, operation, 'read', () =>
      deps.gateway.callByName<Record<string, unknown>>(session, connector, operation, input),
    );
    return readOutcome(connector, operation, result);
  };
  const readOutcome = async <Output>(
    connector: string,
    operation: string,
    result: CallResult<Output>,
  ): Promise<ReadOutcome<Output>> => {
    if (result.status === 'ok') {
      // What a business system stores was written by someone: data, never instructions to follow.
      // (Knowledge passages are guarded one article at a time by `answer`, below.)
      const { clean: data, removed } =
        connector === 'knowledge' ? { clean: result.data, removed: [] } : guardStrings(result.data);
      if (removed.length > 0) {
        const source = `${connector}:${operation}`;
        await deps.store.appendMessage(
          state.conversationId,
          'system',
          `Ignored instructions found in ${source}`,
          {
            kind: 'ignored_instructions',
            source,
            removed,
          },
        );
      }
      return result.stale
        ? { ok: true, data, stale: true, ageSeconds: result.ageSeconds }
        : { ok: true, data, stale: false };
    }
    if (result.status === 'human_required')
      return { ok: false, failure: 'human_required', message: `policy rule ${result.rule}` };
    if (result.status === 'approval_required')
      return { ok: false, failure: 'human_required', message: result.pendingAction.reason };
    const kind = result.error.kind;
    const failure = kind === 'forbidden' || kind === 'not_found' || kind === 'invalid_input' ? kind : 'error';
    return { ok: false, failure, message: result.error.message };
  };
  return {
    customer: state.customer,
    slots: { ...state.slots },
    message: state.message,
    provenAddresses: state.provenAddresses ?? [],
    now: deps.now(),
    policy,
    read,
    readByName,
    ...(deps.reasoner.similarity ? { similarity: deps.reasoner.similarity } : {}),
    async answer(question: string): Promise<KnowledgeAnswer> {
      const outcome = await read(knowledge.answer, { question });
      if (!outcome.ok) throw new ReadFailed(outcome, 'knowledge.answer');
      const passages = [];
      for (const passage of outcome.data.passages) {
        const { clean, removed } = stripInstructions(passage.content);
        if (removed.length > 0) {
          // Logged for admins (a system message, never shown to the customer); the customer is still served.
          await deps.store.appendMessage(
            state.conversationId,
            'system',
            `Ignored instructions found in article ${passage.slug}`,
            {
              kind: 'ignored_instructions',
              source: `knowledge:${passage.slug}`,
              removed,
            },
          );
        }
        passages.push({ ...passage, content: clean });
      }
      return { ...outcome.data, passages };
    },
  };
}
