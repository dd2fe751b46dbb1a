import {
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type IBackoff,
  type IBreaker,
  type IRetryBackoffContext,
  retry,
  SamplingBreaker,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import { ConnectorError, isConnectorError } from './errors.ts';
import type { SharedAdmission, SharedCircuitGate, SharedCircuitView } from './shared-circuit.ts';

/** Retry, circuit breaker and bulkhead settings of one connector. */
export interface ResilienceSettings {
  retry: {
    /** Retries after the first attempt (so `retries + 1` attempts at most). */
    retries: number;
    initialDelayMs: number;
    maxDelayMs: number;
    /** A Retry-After longer than this is not waited for: the call fails with `rate_limited` at once. */
    maxRetryAfterMs: number;
  };
  breaker:
    | { kind: 'consecutive'; failures: number }
    /** Opens when more than `failureRatio` of calls in `windowMs` failed, given at least `minimumRps`. */
    | { kind: 'sampling'; failureRatio: number; windowMs: number; minimumRps?: number };
  /** How long an open circuit fails fast before letting one test call through (half-open). */
  halfOpenAfterMs: number;
  bulkhead: { concurrency: number; queue: number };
}

/** Production-minded defaults; tests shrink the delays. */
export const defaultResilience: ResilienceSettings = {
  retry: { retries: 2, initialDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 10_000 },
  breaker: { kind: 'consecutive', failures: 5 },
  halfOpenAfterMs: 30_000,
  bulkhead: { concurrency: 10, queue: 100 },
};

/** Circuit state as reported by health and the `switchboard_connector_circuit_state` gauge. */
export type CircuitStateName = 'closed' | 'half_open' | 'open';

const stateNames: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'open',
};

/** Raised instead of running when the connector's circuit is open; never retried by the pipeline. */
export class CircuitOpenError extends ConnectorError {
  constructor(connectorId: string) {
    super('transient', `circuit open for connector ${connectorId}: failing fast without calling it`, {
      retryable: true,
    });
  }
}

/** The resilience stage of one connector. */
export interface ConnectorResilience {
  /** This process's breaker combined with the shared state (the more cautious of the two). */
  readonly state: CircuitStateName;
  onStateChange(listener: (state: CircuitStateName) => void): void;
  /** The shared state as the store has it now (the admin page); null without a shared store. */
  shared(): Promise<SharedCircuitView | null>;
  /**
   * Runs `attempt` under shared gate → bulkhead → breaker → timeout, retrying retryable failures when
   * `mayRetry`. Always rejects with a ConnectorError. `scrub` cleans a failure message before it is
   * shared as the reason the circuit opened (redacted input values, as in audit rows).
   */
  execute<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    options: {
      timeoutMs: number;
      mayRetry: boolean;
      onAttemptFailed?: (error: ConnectorError) => void;
      scrub?: (message: string) => string;
    },
  ): Promise<{ value: T; attempts: number }>;
}

/**
 * Builds the policies of one connector from its settings. With a `shared` gate (Redis), the circuit
 * is shared with the other processes: an open shared circuit fails fast here too, and the half-open
 * trial call is one across all processes (docs/connectors-core.md, "Shared breaker state").
 */
export function createConnectorResilience(
  connectorId: string,
  settings: ResilienceSettings,
  random: () => number = Math.random,
  shared?: (onChange: () => void) => SharedCircuitGate,
): ConnectorResilience {
  const listeners: Array<(state: CircuitStateName) => void> = [];
  let reported: CircuitStateName = 'closed';
  /** This process's breaker opened or closed and the shared store has not been told yet. */
  let untold: 'opened' | 'closed' | null = null;
  const combined = (): CircuitStateName => {
    const local = stateNames[breaker.state];
    const other = gate?.view().state ?? null;
    if (local === 'open' || other === 'open') return 'open';
    if (local === 'half_open' || other === 'half_open') return 'half_open';
    return 'closed';
  };
  const notify = () => {
    const state = combined();
    if (state === reported) return;
    reported = state;
    for (const listener of listeners) listener(state);
  };
  const makeBreaker = () => {
    const created = circuitBreaker(
      handleWhen((error) => countsAgainstCircuit(error)),
      { halfOpenAfter: settings.halfOpenAfterMs, breaker: createBreaker(settings.breaker) },
    );
    created.onStateChange((state) => {
      if (created !== breaker) return;
      // Told by the attempt that caused it (below), which knows the failure's scrubbed message.
      if (state === CircuitState.Open) untold = 'opened';
      if (state === CircuitState.Closed) untold = 'closed';
      notify();
    });
    return created;
  };
  let breaker = makeBreaker();
  const gate =
    shared?.(() => {
      // Another process's trial call closed the circuit: this process's breaker closes with it.
      if (gate && gate.view().state === null && breaker.state !== CircuitState.Closed)
        breaker = makeBreaker();
      notify();
    }) ?? null;
  const bulkheadPolicy = bulkhead(settings.bulkhead.concurrency, settings.bulkhead.queue);
  const timeouts = new Map<number, ReturnType<typeof timeout>>();
  const timeoutPolicy = (ms: number) => {
    let policy = timeouts.get(ms);
    if (!policy) {
      policy = timeout(ms, TimeoutStrategy.Aggressive);
      timeouts.set(ms, policy);
    }
    return policy;
  };
  const backoff = retryAfterBackoff(settings.retry, random);

  /**
   * Tells the shared store how the attempt went, before the call answers (so another process's next
   * call already sees it): a trial's verdict, or this process's breaker opening or closing.
   */
  const share = async (
    sharedGate: SharedCircuitGate,
    admission: SharedAdmission,
    outcome: 'succeeded' | 'failed' | 'not_reached',
    reason: string,
  ) => {
    await sharedGate.settle(admission, outcome, reason);
    const change = untold;
    untold = null;
    if (change === 'opened') await sharedGate.opened(reason || 'failures');
    else if (change === 'closed') await sharedGate.closed();
  };

  return {
    get state() {
      return combined();
    },
    onStateChange(listener) {
      listeners.push(listener);
    },
    shared: async () => (gate ? gate.refresh() : null),
    async execute(attempt, { timeoutMs, mayRetry, onAttemptFailed, scrub }) {
      const retryPolicy = retry(
        handleWhen((error) => isRetryable(error, settings.retry.maxRetryAfterMs)),
        { maxAttempts: mayRetry ? settings.retry.retries : 0, backoff },
      );
      let attempts = 0;
      const value = await retryPolicy.execute(async () => {
        attempts += 1;
        // The shared state first: open elsewhere fails fast here exactly like this process's breaker.
        const admission: SharedAdmission = gate ? await gate.admit(timeoutMs) : { kind: 'pass' };
        if (admission.kind === 'open') {
          const failure = new CircuitOpenError(connectorId);
          onAttemptFailed?.(failure);
          throw failure;
        }
        let reached = false;
        try {
          const result = await bulkheadPolicy.execute(() =>
            breaker.execute(() =>
              timeoutPolicy(timeoutMs).execute(({ signal }) => {
                reached = true;
                return attempt(signal);
              }),
            ),
          );
          if (gate) await share(gate, admission, 'succeeded', '');
          return result;
        } catch (error) {
          const failure = toConnectorError(error, connectorId, timeoutMs);
          if (gate) {
            const counts = countsAgainstCircuit(error);
            const reason = `${failure.kind}: ${scrub ? scrub(failure.message) : failure.message}`;
            await share(gate, admission, !reached ? 'not_reached' : counts ? 'failed' : 'succeeded', reason);
          }
          onAttemptFailed?.(failure);
          throw failure;
        }
      });
      return { value, attempts };
    },
  };
}

function createBreaker(settings: ResilienceSettings['breaker']): IBreaker {
  if (settings.kind === 'consecutive') return new ConsecutiveBreaker(settings.failures);
  return new SamplingBreaker({
    threshold: settings.failureRatio,
    duration: settings.windowMs,
    // cockatiel treats 0 as "use its default" (5 failures/s); 0 here means no minimum.
    ...(settings.minimumRps !== undefined ? { minimumRps: settings.minimumRps || 1e-9 } : {}),
  });
}

// cockatiel 3.2.1's isTaskCancelledError/isIsolatedCircuitError test the bulkhead brand (a bug), so
// check each error's own brand property instead.
const hasBrand = (error: unknown, brand: string): boolean => error instanceof Error && brand in error;
const isTaskCancelledError = (error: unknown) => hasBrand(error, 'isTaskCancelledError');
const isBrokenCircuitError = (error: unknown) => hasBrand(error, 'isBrokenCircuitError');
const isBulkheadRejectedError = (error: unknown) => hasBrand(error, 'isBulkheadRejectedError');

/** Vendor-side failures open the circuit; caller errors (bad input, not found, forbidden) do not. */
function countsAgainstCircuit(error: unknown): boolean {
  if (isTaskCancelledError(error)) return true;
  if (isBulkheadRejectedError(error)) return false;
  if (isConnectorError(error)) return error.kind === 'transient' || error.kind === 'rate_limited';
  return classifyUnknown(error).kind === 'transient';
}

function isRetryable(error: unknown, maxRetryAfterMs: number): boolean {
  if (!isConnectorError(error) || !error.retryable || error instanceof CircuitOpenError) return false;
  return (error.retryAfterSeconds ?? 0) * 1000 <= maxRetryAfterMs;
}

/** Maps anything a vendor call (or cockatiel) throws onto a ConnectorError. */
export function toConnectorError(error: unknown, connectorId: string, timeoutMs: number): ConnectorError {
  if (isConnectorError(error)) return error;
  if (isBrokenCircuitError(error)) return new CircuitOpenError(connectorId);
  if (isTaskCancelledError(error)) return new ConnectorError('transient', `timed out after ${timeoutMs} ms`);
  if (isBulkheadRejectedError(error)) {
    return new ConnectorError('rate_limited', `too many concurrent calls to connector ${connectorId}`);
  }
  return classifyUnknown(error);
}

const transientCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

/** Network errors and retryable database states are transient; anything else is a bug or a refusal. */
function classifyUnknown(error: unknown): ConnectorError {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const transient =
    typeof code === 'string' &&
    (transientCodes.has(code) ||
      code.startsWith('08') ||
      code === '40001' ||
      code === '40P01' ||
      code === '57P01');
  return new ConnectorError(transient ? 'transient' : 'permanent', `unexpected error: ${message}`, {
    cause: error,
  });
}

/** Exponential backoff with equal jitter; a vendor's Retry-After is a floor. */
function retryAfterBackoff(
  settings: ResilienceSettings['retry'],
  random: () => number,
): { next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> } {
  const make = (context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> => {
    const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** (context.attempt - 1));
    const jittered = ceiling / 2 + random() * (ceiling / 2);
    const error = 'error' in context.result ? context.result.error : undefined;
    const retryAfterMs = isConnectorError(error) ? (error.retryAfterSeconds ?? 0) * 1000 : 0;
    return { duration: Math.max(jittered, retryAfterMs), next: make };
  };
  return { next: make };
}
