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
  call<Output = unknown>(
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
