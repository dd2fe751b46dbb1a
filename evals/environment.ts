import type pg from 'pg';
import type { ApprovalDecision } from '../agent/agent.ts';
import type { AgentEvent, CustomerSession } from '../agent/events.ts';
import type { TurnInput } from '../agent/turn-input.ts';
import type { EvalConfig } from '../config/eval.ts';
import type { FaultSpec } from '../connectors/core/faults.ts';
import type { ObservedWrite } from './end-state.ts';
import type { Scenario } from './scenario-schema.ts';

/** `kb-only`: every write-capable connector removed, so the agent can only answer from documents. */
export type Baseline = 'none' | 'kb-only';

/** Which reasoner the agent runs: the local one (no LLM) or an LLM through the AI SDK. */
export type ReasonerKind = 'local' | 'llm';

/**
 * What the runner plays a scenario against: conversations driven in this process, each turn's events
 * streamed back (conversations/direct.ts). The conversation's owner stores the messages and the
 * status each turn ends with, as in production.
 */
export interface ConversationDriver {
  converse(
    conversationId: string,
    input: TurnInput | string,
    session: CustomerSession,
  ): AsyncIterable<AgentEvent>;
  decide(conversationId: string, decision: ApprovalDecision): AsyncIterable<AgentEvent>;
}

/**
 * One isolated copy of the systems the agent works on: its own database (never the application's:
 * `prepare` empties it), connectors, knowledge base and agent. The runner owns one per concurrent
 * worker and runs scenarios in it one at a time.
 */
export interface ScenarioEnvironment {
  database: { pool: pg.Pool; kind: 'pglite' | 'postgres' };
  /**
   * Resets the systems to the scenario's world (truncate + load, articles ingested or the default
   * KB), sets the clock to `scenario.now` (the real clock when absent), arms the faults
   * (`scenarioFaults`) and returns conversations whose agent is wired to all of it. With
   * `baseline: 'kb-only'` the agent gets only the knowledge connector.
   */
  prepare(
    scenario: Scenario,
    options: { baseline: Baseline },
  ): Promise<{ conversations: ConversationDriver }>;
  /**
   * When the systems are not our own tables (`--systems vendor-fakes`): snapshots them right after
   * `prepare` and returns the reader of the canonical writes made since, from their own state. Absent,
   * writes are read off our tables (`evals/observed-writes.ts`).
   */
  snapshotWrites?(): Promise<SystemWrites>;
  close(): Promise<void>;
}

/** The writes of systems other than our tables, in the world's terms (see `snapshotWrites`). */
export interface SystemWrites {
  /** The canonical writes made since the snapshot, vendor ids translated back to the world's. */
  read(): Promise<ObservedWrite[]>;
  /**
   * An action's arguments with the systems' ids translated back to the world's (a Stripe charge id to
   * the world's payment id…), so proposals are judged against the scenario as writes are.
   */
  toWorldArgs(args: Record<string, unknown>): Record<string, unknown>;
}

/** What billing, CRM, ticketing and calendar run on: our tables, or vendor backends against local fakes. */
export type SystemsKind = 'builtin' | 'vendor-fakes';

/** What the factory is told; `index` numbers the environments of one run (0…concurrency-1). */
export interface EnvironmentOptions {
  reasoner: ReasonerKind;
  /** `builtin` when absent. */
  systems?: SystemsKind;
  index: number;
  /** The eval CLI's settings (OpenAI model and endpoint for the LLM reasoner). */
  config: EvalConfig;
}

/** Builds one environment; the runner calls it once per concurrent worker. */
export type EnvironmentFactory = (options: EnvironmentOptions) => Promise<ScenarioEnvironment>;

/** The scenario's faults in the connector layer's shape (`delay_ms` → `delayMs`). */
export function scenarioFaults(scenario: Scenario): FaultSpec[] {
  return (scenario.faults ?? []).map((fault) => ({
    connector: fault.connector,
    operation: fault.operation,
    mode: fault.mode,
    times: fault.times,
    ...(fault.delay_ms !== undefined ? { delayMs: fault.delay_ms } : {}),
  }));
}

/**
 * The session the API would have built for this customer. An unverified customer is still
 * identified (a chat widget or an email From address names them) but `verified: false`: account
 * actions need the emailed code first.
 */
export function scenarioSession(scenario: Scenario): CustomerSession {
  return {
    contactId: scenario.customer.contact,
    verified: scenario.customer.verified,
    channel: scenario.customer.channel,
    ...(scenario.customer.verified ? { verifiedBy: 'token' as const } : {}),
  };
}

/** The clock of a scenario: its `now`, or the real time when it gives none. */
export function scenarioNow(scenario: Scenario): Date {
  return scenario.now ? new Date(scenario.now) : new Date();
}
