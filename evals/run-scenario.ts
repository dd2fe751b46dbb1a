import { randomBytes } from 'node:crypto';
import {
  type ActualOutcome,
  actualOutcome,
  type FalseResolutionKind,
  falseResolutionKind,
  judgeProposals,
  runChecks,
  type StopReason,
} from './checks/index.ts';
import { matchWrites } from './checks/match-writes.ts';
import { playConversation } from './conversation.ts';
import { readEndState, snapshotWorld } from './end-state.ts';
import {
  type Baseline,
  type ConversationDriver,
  type ScenarioEnvironment,
  scenarioSession,
} from './environment.ts';
import type { LoadedScenario } from './load-suite.ts';
import type { CustomerDependencies, SimulatedCustomer } from './simulated-customer.ts';
import type { TokenUsage, TranscriptEntry } from './transcript.ts';

/** Builds the simulated customer of one run (scripted or LLM-driven). */
export type CustomerFactory = (dependencies: CustomerDependencies) => SimulatedCustomer;

/** One run of one scenario: the verdict, the numbers the metrics need, and the transcript. */
export interface ScenarioResult {
  id: string;
  title: string;
  tags: string[];
  file: string;
  /** 0-based repetition index (`--runs k`). */
  run: number;
  baseline: Baseline;
  conversationId: string;
  passed: boolean;
  /** One line per failing check, naming it. */
  failures: string[];
  checks: Array<{ name: string; passed: boolean }>;
  harmful: string[];
  /**
   * The agent said "resolved" while an expected write did not happen, or while the scenario
   * expected an escalation and no human took part.
   */
  falseResolution: boolean;
  /** Why it is a false resolution (null when it is not one). */
  falseResolutionKind: FalseResolutionKind | null;
  claimedResolution: boolean;
  /**
   * Confirmations that proposed an action the scenario does not expect (docs/evals.md, "Metrics");
   * `proposalsJudged` is false when the scenario does not say which proposals are right.
   */
  wrongProposals: string[];
  proposalsJudged: boolean;
  /** Confirmations the agent asked for in the run. */
  proposals: number;
  expectedOutcome: string;
  /** The expected escalation reason (null when none is expected). */
  expectedEscalationReason: string | null;
  /** The scenario expects an action: a write or an email (what "action resolutions" count). */
  expectsAction: boolean;
  actualOutcome: ActualOutcome | 'error';
  escalationReasons: string[];
  customerMessages: number;
  stoppedBy: StopReason;
  turnLatenciesMs: number[];
  durationMs: number;
  usage: { agent: TokenUsage | null; customer: TokenUsage | null };
  transcript: TranscriptEntry[];
  error?: string;
}

export interface RunScenarioOptions {
  environment: ScenarioEnvironment;
  loaded: LoadedScenario;
  baseline: Baseline;
  run: number;
  createCustomer: CustomerFactory;
  /** How long one agent turn may take before the run is failed (default 120 s). */
  turnTimeoutMs?: number;
}

/**
 * Runs one scenario in an environment: resets it to the scenario's world, plays the conversation,
 * then judges the end state of the systems. Never throws: a broken environment or agent is a
 * failed result with the error in it.
 */
export async function runScenario(options: RunScenarioOptions): Promise<ScenarioResult> {
  const { environment, loaded, baseline, run } = options;
  const { scenario } = loaded;
  const startedAt = performance.now();
  const conversationId = `eval_${scenario.id}_${run}_${randomBytes(4).toString('hex')}`.slice(0, 120);
  const base = {
    id: scenario.id,
    title: scenario.title,
    tags: scenario.tags,
    file: loaded.file,
    run,
    baseline,
    conversationId,
    expectedOutcome: scenario.expect.outcome,
    expectedEscalationReason: scenario.expect.escalation_reason ?? null,
    expectsAction: (scenario.expect.writes?.length ?? 0) + (scenario.expect.emails?.length ?? 0) > 0,
  };
  let prepared: Awaited<ReturnType<ScenarioEnvironment['prepare']>>;
  try {
    prepared = await environment.prepare(scenario, { baseline });
  } catch (error) {
    return failedResult(
      base,
      `the environment could not be prepared: ${(error as Error).message}`,
      startedAt,
    );
  }
  try {
    return await judgeRun(options, base, prepared.conversations, startedAt);
  } catch (error) {
    return failedResult(base, `the run could not be judged: ${(error as Error).message}`, startedAt);
  }
}

type ResultBase = Pick<
  ScenarioResult,
  | 'id'
  | 'title'
  | 'tags'
  | 'file'
  | 'run'
  | 'baseline'
  | 'conversationId'
  | 'expectedOutcome'
  | 'expectedEscalationReason'
  | 'expectsAction'
>;

function failedResult(base: ResultBase, reason: string, startedAt: number): ScenarioResult {
  const message = `run: ${reason}`;
  return {
    ...base,
    passed: false,
    failures: [message],
    checks: [{ name: 'run', passed: false }],
    harmful: [],
    falseResolution: false,
    falseResolutionKind: null,
    claimedResolution: false,
    wrongProposals: [],
    proposalsJudged: false,
    proposals: 0,
    actualOutcome: 'error',
    escalationReasons: [],
    customerMessages: 0,
    stoppedBy: 'error',
    turnLatenciesMs: [],
    durationMs: Math.round(performance.now() - startedAt),
    usage: { agent: null, customer: null },
    transcript: [{ kind: 'error', message: reason }],
    error: reason,
  };
}

async function judgeRun(
  options: RunScenarioOptions,
  base: ResultBase,
  conversations: ConversationDriver,
  startedAt: number,
): Promise<ScenarioResult> {
  const { environment, loaded } = options;
  const { scenario } = loaded;
  const conversationId = base.conversationId;
  const pool = environment.database.pool;
  const snapshot = await snapshotWorld(pool);
  const systemWrites = await environment.snapshotWrites?.();
  const customer = options.createCustomer({ scenario, mailbox: pool });
  const record = await playConversation({
    conversations,
    conversationId,
    session: scenarioSession(scenario),
    scenario,
    customer,
    turnTimeoutMs: options.turnTimeoutMs ?? 120_000,
  });
  const endState = await readEndState(pool, snapshot, conversationId, systemWrites?.read);
  const verdict = runChecks({
    scenario,
    endState,
    transcript: record.transcript,
    customerMessages: record.customerMessages,
    stoppedBy: record.stoppedBy,
    humanDecided: record.humanDecided,
  });
  const failures = record.error ? [`run: ${record.error}`, ...verdict.failures] : verdict.failures;
  const writesMissing = matchWrites(scenario.expect.writes ?? [], endState.writes).matches.some(
    (match) => match.observed.length === 0,
  );
  const falseKind = falseResolutionKind({
    claimedResolution: record.claimedResolution,
    writesMissing,
    verdict,
    expectedOutcome: scenario.expect.outcome,
    humanDecided: record.humanDecided,
  });
  const proposalVerdict = judgeProposals(scenario, record.proposals, systemWrites?.toWorldArgs);
  const customerUsage = customer.usage();
  return {
    ...base,
    passed: verdict.passed && !record.error,
    failures,
    checks: [
      ...(record.error ? [{ name: 'run', passed: false }] : []),
      ...verdict.checks.map((check) => ({ name: check.name, passed: check.passed })),
    ],
    harmful: verdict.harmful,
    falseResolution: falseKind !== null,
    falseResolutionKind: falseKind,
    claimedResolution: record.claimedResolution,
    wrongProposals: proposalVerdict.wrong,
    proposalsJudged: proposalVerdict.judged,
    proposals: record.proposals.length,
    actualOutcome: actualOutcome(endState, record.humanDecided),
    escalationReasons: endState.escalations.map((escalation) => escalation.reason),
    customerMessages: record.customerMessages,
    stoppedBy: record.stoppedBy,
    turnLatenciesMs: record.turnLatenciesMs.map((latency) => Math.round(latency * 10) / 10),
    durationMs: Math.round(performance.now() - startedAt),
    usage: {
      agent: record.agentUsage,
      customer: customerUsage.inputTokens + customerUsage.outputTokens > 0 ? customerUsage : null,
    },
    transcript: record.transcript,
    ...(record.error ? { error: record.error } : {}),
  };
}
