import type { ConnectorErrorKind } from './errors.ts';

/** The exact action a human must approve: re-running it is one call with these arguments. */
export interface PendingAction {
  connector: string;
  operation: string;
  input: Record<string, unknown>;
  idempotencyKey: string;
  /**
   * What the action does, whoever asks: `<connector>.<operation>:<natural key>` (the business key the
   * idempotency key is derived from, without the conversation; the arguments' hash when the contract
   * declares none). Two conversations asking for the same refund give the same action key, so they
   * share one approval (docs/product.md, "Approvals").
   */
  actionKey: string;
  /** Which limit stopped it, e.g. "amount_cents 45000 > auto-refund limit 20000". */
  reason: string;
}

/** What a call through the pipeline returns to callers that must not throw (the agent's tools). */
export type CallResult<Output> =
  | { status: 'ok'; data: Output; stale: false; replayed: boolean }
  | { status: 'ok'; data: Output; stale: true; ageSeconds: number }
  | { status: 'approval_required'; pendingAction: PendingAction }
  /** A segment rule hands this customer's request to a person (e.g. enterprise → account owner). */
  | { status: 'human_required'; rule: string }
  | { status: 'error'; error: { kind: ConnectorErrorKind; message: string; retryable: boolean } };
