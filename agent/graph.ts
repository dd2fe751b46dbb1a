import { END, type LangGraphRunnableConfig, START, StateGraph } from '@langchain/langgraph';
import type { AgentDependencies } from './dependencies.ts';
import { approval, decidePending } from './nodes/approval.ts';
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
 * A button press goes straight to the node that owns it — confirm/decline to `confirm`, the
 * verification steps to `verify` — never through intent classification; a message to `guardrails`.
 */
export const routeInput = (state: SupportStateValue): 'guardrails' | 'confirm' | 'verify' => {
  switch (state.input?.kind) {
    case 'confirm':
    case 'decline':
      return 'confirm';
    case 'verify_email':
    case 'verify_code':
      return 'verify';
    default:
      return 'guardrails';
  }
};

/**
 * Where a run starts: a customer's message at identify; a human's decision on a handed-over pending
 * write (agent/create-agent.ts `decideApproval`, input `{ next: 'decide' }`) at decide.
 */
const entry = (state: SupportStateValue) => (state.next === 'decide' ? 'decide' : 'identify');

/**
 * The support graph, one customer message per run (thread = conversation):
 * identify → understand → guardrails → (verify | confirm | clarify | plan | escalate) → … → finish;
 * a button press skips guardrails: understand → confirm (confirm/decline) or verify (verify_*).
 * `plan` asks for slots and confirmations and pauses until the next message; `execute` runs the
 * confirmed writes; `approval` pauses with interrupt() until a human decides; `decide` carries out a
 * human's decision on the pending write of a `connector_failure` escalation.
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
    .addNode('decide', bind(decidePending))
    .addNode('escalate', bind(escalate))
    .addNode('finish', bind(finish))
    .addConditionalEdges(START, entry, ['identify', 'decide'])
    .addEdge('identify', 'understand')
    .addConditionalEdges('understand', routeInput, ['guardrails', 'confirm', 'verify'])
    .addConditionalEdges('guardrails', next, ['verify', 'confirm', 'clarify', 'plan', 'escalate'])
    .addConditionalEdges('verify', next, ['plan', 'escalate', 'finish'])
    .addEdge('clarify', 'finish')
    .addConditionalEdges('plan', next, ['verify', 'escalate', 'finish'])
    .addConditionalEdges('confirm', next, ['execute', 'verify', 'finish'])
    .addConditionalEdges('execute', next, ['approval', 'escalate', 'finish', 'plan'])
    .addEdge('approval', 'finish')
    .addEdge('decide', 'finish')
    .addEdge('escalate', 'finish')
    .addConditionalEdges('finish', next, { plan: 'plan', end: END })
    .compile({ checkpointer: deps.checkpointer });
}

export type SupportGraph = ReturnType<typeof createSupportGraph>;
