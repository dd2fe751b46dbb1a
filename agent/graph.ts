import { END, type LangGraphRunnableConfig, START, StateGraph } from '@langchain/langgraph';
import type { AgentDependencies } from './dependencies.ts';
import { approval } from './nodes/approval.ts';
import { clarify } from './nodes/clarify.ts';
import { confirm } from './nodes/confirm.ts';
import { escalate } from './nodes/escalate.ts';
import { execute } from './nodes/execute.ts';
import { finish } from './nodes/finish.ts';
import { guardrails } from './nodes/guardrails.ts';
import { identify } from './nodes/identify.ts';
import { plan } from './nodes/plan.ts';
import { understand } from './nodes/understand.ts';
import { verify } from './nodes/verify.ts';
import { SupportState, type SupportStateValue } from './state.ts';

const next = (state: SupportStateValue) => state.next;

/**
 * The support graph, one customer message per run (thread = conversation):
 * identify → understand → guardrails → (verify | confirm | clarify | plan | escalate) → … → finish.
 * `plan` asks for slots and confirmations and pauses until the next message; `execute` runs the
 * confirmed writes; `approval` pauses with interrupt() until a human decides.
 */
export function createSupportGraph(deps: AgentDependencies) {
  const bind =
    <T>(
      node: (
        state: SupportStateValue,
        deps: AgentDependencies,
        config: LangGraphRunnableConfig,
      ) => Promise<T>,
    ) =>
    (state: SupportStateValue, config: LangGraphRunnableConfig) =>
      node(state, deps, config);
  return new StateGraph(SupportState)
    .addNode('identify', bind(identify))
    .addNode('understand', bind(understand))
    .addNode('guardrails', bind(guardrails))
    .addNode('verify', bind(verify))
    .addNode('clarify', bind(clarify))
    .addNode('plan', bind(plan))
    .addNode('confirm', bind(confirm))
    .addNode('execute', bind(execute))
    .addNode('approval', bind(approval))
    .addNode('escalate', bind(escalate))
    .addNode('finish', bind(finish))
    .addEdge(START, 'identify')
    .addEdge('identify', 'understand')
    .addEdge('understand', 'guardrails')
    .addConditionalEdges('guardrails', next, ['verify', 'confirm', 'clarify', 'plan', 'escalate'])
    .addConditionalEdges('verify', next, ['plan', 'escalate', 'finish'])
    .addEdge('clarify', 'finish')
    .addConditionalEdges('plan', next, ['verify', 'escalate', 'finish'])
    .addConditionalEdges('confirm', next, ['execute', 'finish'])
    .addConditionalEdges('execute', next, ['approval', 'escalate', 'finish'])
    .addEdge('approval', 'finish')
    .addEdge('escalate', 'finish')
    .addConditionalEdges('finish', next, { plan: 'plan', end: END })
    .compile({ checkpointer: deps.checkpointer });
}

export type SupportGraph = ReturnType<typeof createSupportGraph>;
