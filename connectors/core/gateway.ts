import type { AnyOperationContract, ContractInput, ContractOutput } from './contract.ts';
import type { CallerSession } from './definition.ts';
import type { CallResult } from './result.ts';

/** Options of one call through the pipeline. */
export interface CallOptions {
  /** Caller-chosen idempotency key for a write; otherwise derived from the conversation and the input. */
  idempotencyKey?: string;
  /** Set when a human approved the exact pending action: action limits are not applied again. */
  approval?: { approvedBy: string };
}

/**
 * The one way to run a connector operation: identity binding → policy → idempotency → resilience →
 * audit/telemetry. The agent, the API and the eval runner only ever see this interface.
 */
export interface ConnectorGateway {
  /** Runs an operation named by its contract: the input is typed by the contract, the output checked by its schema. */
  call<C extends AnyOperationContract>(
    session: CallerSession,
    operation: C,
    input: ContractInput<C>,
    options?: CallOptions,
  ): Promise<CallResult<ContractOutput<C>>>;
  /**
   * Runs an operation named by data: a stored write (`{connector, operation, input}` of a checkpoint or
   * an escalation's pending action), an admin request or a test. Unknown names are `invalid_input`.
   * Code that knows the operation it wants uses `call` with the contract.
   */
  callByName<Output = unknown>(
    session: CallerSession,
    connectorId: string,
    operation: string,
    input: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<CallResult<Output>>;
  /** Connector ids and their operations' public metadata (name, effect, description). */
  describe(): Array<{
    id: string;
    title: string;
    operations: Array<{ name: string; effect: 'read' | 'write'; description: string }>;
  }>;
}
