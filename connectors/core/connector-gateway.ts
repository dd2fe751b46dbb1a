import type { Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { type AuditSettings, createAuditWriter } from './audit.ts';
import { createReadCache } from './cache.ts';
import { createCallRecorder } from './call-recorder.ts';
import { hashArgs } from './canonical.ts';
import type { AnyOperationContract } from './contract.ts';
import type { CallerSession, ConnectorDefinition, PolicyNumbers } from './definition.ts';
import { ConnectorError } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import type { CallOptions, ConnectorGateway } from './gateway.ts';
import {
  type ConnectorHealth,
  type CredentialStatus,
  checkConnector,
  createHealthTracker,
  createHealthView,
} from './health.ts';
import { createIdempotencyStore, type LeaseSettings } from './idempotency.ts';
import { type Logger, silentLogger } from './logger.ts';
import { type CallTrace, type PipelineDeps, runPipeline } from './pipeline.ts';
import type { ConnectorPolicy, ConnectorPolicyInput } from './policy.ts';
import { createPolicySource } from './policy-cache.ts';
import type { Queryable } from './queryable.ts';
import { scrubMessage } from './redaction.ts';
import {
  type CircuitStateName,
  type ConnectorResilience,
  createConnectorResilience,
  defaultResilience,
  type ResilienceSettings,
} from './resilience.ts';
import type { CallResult } from './result.ts';
import { createSharedCircuits, type SharedCircuitGate, type SharedCircuitStore } from './shared-circuit.ts';
import { type ConnectorMetrics, createConnectorMetrics, defaultTracer, startCallSpan } from './telemetry.ts';

/** Partial resilience settings (nested objects may be partial too). */
export interface ResilienceOverrides {
  retry?: Partial<ResilienceSettings['retry']>;
  breaker?: ResilienceSettings['breaker'];
  halfOpenAfterMs?: number;
  bulkhead?: Partial<ResilienceSettings['bulkhead']>;
}

/** Everything the gateway is built from; only `db` and `connectors` are required. */
export interface ConnectorGatewayOptions {
  db: Queryable;
  connectors: ConnectorDefinition[];
  /** Default policy per connector id; a row in `connector_policies` replaces it. */
  policies?: Record<string, ConnectorPolicyInput>;
  /** How long an effective policy is cached (ms); `setPolicy` through the gateway clears it at once. */
  policyCacheMs?: number;
  /** The installation's policy numbers (e.g. an eval world's refund limit); they override the connectors' `policyNumbers`. */
  policy?: () => Promise<PolicyNumbers>;
  /** The clock operations see (eval scenarios fix it). */
  now?: () => Date;
  logger?: Logger;
  registry?: Registry;
  tracer?: Tracer;
  faults?: FaultInjector;
  resilience?: ResilienceOverrides & { connectors?: Record<string, ResilienceOverrides> };
  /** Lease TTL, heartbeat, and how long a busy key is waited for (defaults: `defaultLeaseSettings`). */
  idempotency?: Partial<LeaseSettings>;
  audit?: AuditSettings;
  health?: { maxSamples?: number; windowMs?: number };
  credentialStatus?: (connectorId: string) => Promise<CredentialStatus>;
  /** Jitter source for retry backoff (tests make it deterministic). */
  random?: () => number;
  /**
   * Where the processes share their circuit breakers (Redis when `REDIS_URL` is set:
   * `createRedisCircuitStore`); unset, each process's breakers are its own. The caller owns the store.
   */
  sharedCircuits?: SharedCircuitStore;
}

/** A connector's circuit as the admin page shows it. */
export interface CircuitView {
  state: CircuitStateName;
  /** Set while the shared state holds the circuit open (or half-open after this time). */
  openUntil: Date | null;
  /** Why it was opened, when another process (or this one) shared it. */
  reason: string | null;
}

/** The gateway plus the admin/health/lifecycle surface the API and evals use. */
export interface ManagedConnectorGateway extends ConnectorGateway {
  health(): Promise<ConnectorHealth[]>;
  checkConnector(connectorId: string): Promise<{ ok: boolean; detail: string; latencyMs: number }>;
  getPolicy(connectorId: string): Promise<ConnectorPolicy>;
  setPolicy(
    connectorId: string,
    policy: ConnectorPolicyInput,
    updatedBy: string | null,
  ): Promise<ConnectorPolicy>;
  /** Removes the stored override (the configured default applies to the next call); false when there was none. */
  resetPolicy(connectorId: string): Promise<boolean>;
  /** This process's breaker combined with what it knows of the shared state. */
  circuitState(connectorId: string): CircuitStateName;
  /** The same, after asking the shared store (what the admin page shows). */
  circuit(connectorId: string): Promise<CircuitView>;
  /**
   * Puts another backend of a registered connector kind in place (an admin switched billing to
   * Stripe): calls that start afterwards use it; calls in flight finish on the old one.
   */
  replaceConnector(connector: ConnectorDefinition): void;
  /**
   * Adds a connector defined at run time (an admin's custom HTTP or MCP connector), or puts a new
   * version of one in place; calls that start afterwards use it. A connector the gateway was built
   * with cannot be taken over this way (`replaceConnector` swaps a built-in kind's backend).
   */
  registerConnector(connector: ConnectorDefinition): void;
  /** Removes a connector added with `registerConnector`; false when there was none. */
  unregisterConnector(connectorId: string): boolean;
  /**
   * The connectors as registered now (built-in and run-time ones), with their operations' schemas: what
   * a surface that offers operations to another client (the MCP server's tool list) describes. Calls
   * still go through `call`/`callByName`.
   */
  definitions(): ConnectorDefinition[];
  readonly metrics: ConnectorMetrics;
  /** Writes queued audit rows and pending cache stores now (e.g. before reading `audit_log` in a test). */
  flush(): Promise<void>;
  /** Flushes everything; call on graceful shutdown so no audit row is lost. */
  close(): Promise<void>;
}

/** Builds the one call pipeline: identity → policy → idempotency → resilience → audit/telemetry. */
export function createConnectorGateway(options: ConnectorGatewayOptions): ManagedConnectorGateway {
  const connectors = new Map<string, ConnectorDefinition>();
  for (const connector of options.connectors) {
    if (connectors.has(connector.id)) throw new Error(`Connector "${connector.id}" is registered twice`);
    connectors.set(connector.id, connector);
  }
  const builtIn = new Set(connectors.keys());
  // Each connector defaults the policy numbers it uses (billing: refund window, auto-refund limit).
  const policyDefaults: PolicyNumbers = Object.assign(
    {},
    ...[...connectors.values()].map((connector) => connector.policyNumbers ?? {}),
  );
  const logger = options.logger ?? silentLogger;
  const metrics = createConnectorMetrics(options.registry);
  const tracer = options.tracer ?? defaultTracer();
  const now = options.now ?? (() => new Date());
  const tracker = createHealthTracker(options.health);
  const audit = createAuditWriter(options.db, options.audit ?? { mode: 'buffered' }, (error) =>
    logger.error({ err: error }, 'audit rows could not be written; they will be retried'),
  );
  const cache = createReadCache(options.db, now, {
    onError: (error) => logger.warn({ err: error }, 'stale-read cache could not be updated'),
  });
  const policies = createPolicySource(
    options.db,
    connectors,
    options.policies ?? {},
    options.policyCacheMs ?? 5_000,
  );

  const resilience = new Map<string, ConnectorResilience>();
  const shared = options.sharedCircuits ? createSharedCircuits(options.sharedCircuits, { logger }) : null;
  const gates = new Map<string, SharedCircuitGate>();
  const startResilience = (connector: ConnectorDefinition) => {
    const merged = mergeResilience(options.resilience, options.resilience?.connectors?.[connector.id]);
    const gateOf = shared
      ? (onChange: () => void) => {
          const gate = shared.gate(connector.id, { halfOpenAfterMs: merged.halfOpenAfterMs, onChange });
          gates.set(connector.id, gate);
          return gate;
        }
      : undefined;
    const stage = createConnectorResilience(connector.id, merged, options.random, gateOf);
    metrics.setCircuitState(connector.id, 'closed');
    stage.onStateChange((state) => {
      metrics.setCircuitState(connector.id, state);
      if (state !== 'closed')
        logger.warn({ connector: connector.id, circuit: state }, 'connector circuit is not closed');
    });
    resilience.set(connector.id, stage);
  };
  for (const connector of connectors.values()) startResilience(connector);
  // Other processes' opens and closes reach this one's breakers at once (a missed message heals at
  // the next trial call). Off the call path: a Redis that is away delays nothing here.
  const following: { stop: (() => Promise<void>) | null; closed: boolean } = { stop: null, closed: false };
  options.sharedCircuits
    ?.subscribe((change) => gates.get(change.connectorId)?.apply(change))
    .then((stop) => {
      // Closed while the subscription was still waiting for Redis: stop at once.
      if (following.closed) void stop();
      else following.stop = stop;
    })
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'shared circuit-breaker changes cannot be followed'),
    );

  const deps: PipelineDeps = {
    db: options.db,
    policies,
    worldPolicy: async () => ({ ...policyDefaults, ...(options.policy ? await options.policy() : {}) }),
    now,
    idempotency: createIdempotencyStore(options.db, options.idempotency),
    cache,
    resilience: (connectorId) => resilience.get(connectorId)!,
    ...(options.faults ? { faults: options.faults } : {}),
  };
  const recorder = createCallRecorder({ tracker, metrics, audit, logger });
  const healthView = createHealthView({
    // Read at each health call, so a replaced backend is the one checked.
    get connectors() {
      return [...connectors.values()];
    },
    tracker,
    circuitState: (connectorId) => resilience.get(connectorId)?.state ?? 'closed',
    ...(options.credentialStatus ? { credentialStatus: options.credentialStatus } : {}),
  });

  async function callByName<Output>(
    session: CallerSession,
    connectorId: string,
    operationName: string,
    input: Record<string, unknown>,
    callOptions: CallOptions = {},
    contract?: AnyOperationContract,
  ): Promise<CallResult<Output>> {
    const at = new Date();
    const started = performance.now();
    const connector = connectors.get(connectorId);
    const found =
      connector && Object.hasOwn(connector.operations, operationName)
        ? connector.operations[operationName]
        : undefined;
    // A typed call must reach a backend built from that very contract (same schemas, same effect).
    const mismatch = contract !== undefined && found?.contract !== undefined && found.contract !== contract;
    const operation = mismatch ? undefined : found;
    // Unknown names come from model output: keep them out of metric labels (cardinality).
    const labels = operation
      ? { connector: connectorId, operation: operationName }
      : { connector: '_unknown', operation: '_unknown' };
    const effect = operation?.effect ?? 'read';
    const span = startCallSpan(tracer, labels.connector, labels.operation, effect);
    const trace: CallTrace = {
      argsHash: safeHash(input),
      idempotencyKey: null,
      detail: session.actorId ? { actor_id: session.actorId } : {},
      scrub: [],
    };

    let result: CallResult<unknown>;
    if (!connector || !operation) {
      const what = mismatch
        ? `the ${connectorId} backend does not implement this ${connectorId}.${operationName} contract`
        : connector
          ? `unknown operation "${operationName}" of connector ${connectorId}`
          : `unknown connector "${connectorId}"`;
      result = errorResult(new ConnectorError('invalid_input', what));
    } else {
      try {
        result = await runPipeline(deps, trace, connector, operation, session, input ?? {}, callOptions);
      } catch (error) {
        result = errorResult(
          error instanceof ConnectorError
            ? error
            : new ConnectorError('transient', 'internal pipeline failure', { cause: error }),
        );
        if (!(error instanceof ConnectorError))
          logger.error({ err: error, ...labels }, 'connector pipeline failed');
      }
    }
    if (result.status === 'error') {
      result = {
        status: 'error',
        error: { ...result.error, message: scrubMessage(result.error.message, trace.scrub) },
      };
      trace.detail.error = result.error.message;
    } else if (typeof trace.detail.error === 'string') {
      trace.detail.error = scrubMessage(trace.detail.error, trace.scrub);
    }

    await recorder.record({
      session,
      connectorId,
      operationName,
      known: operation !== undefined,
      effect,
      labels,
      at,
      started,
      trace,
      span,
      result,
    });
    return result as CallResult<Output>;
  }

  return {
    call: (session, contract, input, callOptions) =>
      callByName(
        session,
        contract.connector,
        contract.name,
        input as Record<string, unknown>,
        callOptions,
        contract,
      ),
    callByName: (session, connectorId, operationName, input, callOptions) =>
      callByName(session, connectorId, operationName, input, callOptions),
    describe: () =>
      [...connectors.values()].map((connector) => ({
        id: connector.id,
        title: connector.title,
        operations: Object.values(connector.operations).map((operation) => ({
          name: operation.name,
          effect: operation.effect,
          description: operation.description,
        })),
      })),
    health: healthView,
    checkConnector: async (connectorId) => {
      const connector = connectors.get(connectorId);
      if (!connector) return { ok: false, detail: `unknown connector "${connectorId}"`, latencyMs: 0 };
      return checkConnector(connector);
    },
    getPolicy: (connectorId) => policies.effective(connectorId),
    setPolicy: (connectorId, policy, updatedBy) => policies.set(connectorId, policy, updatedBy),
    resetPolicy: (connectorId) => policies.reset(connectorId),
    circuitState: (connectorId) => resilience.get(connectorId)?.state ?? 'closed',
    async circuit(connectorId) {
      const stage = resilience.get(connectorId);
      const view = await stage?.shared();
      return {
        state: stage?.state ?? 'closed',
        openUntil: view?.openUntil ?? null,
        reason: view?.reason ?? null,
      };
    },
    replaceConnector(connector) {
      const previous = connectors.get(connector.id);
      if (!previous) throw new Error(`Connector "${connector.id}" is not registered; it cannot be replaced`);
      connectors.set(connector.id, connector);
      // The new backend starts with a closed circuit: the old one's failures are not its own.
      startResilience(connector);
    },
    registerConnector(connector) {
      if (builtIn.has(connector.id))
        throw new Error(`Connector "${connector.id}" is built in; a run-time connector cannot take its name`);
      connectors.set(connector.id, connector);
      startResilience(connector);
    },
    definitions: () => [...connectors.values()],
    unregisterConnector(connectorId) {
      if (builtIn.has(connectorId) || !connectors.delete(connectorId)) return false;
      resilience.delete(connectorId);
      gates.delete(connectorId);
      return true;
    },
    metrics,
    flush: async () => {
      await cache.flush();
      await audit.flush();
    },
    close: async () => {
      following.closed = true;
      await following.stop?.();
      await cache.flush();
      await audit.close();
    },
  };
}

function mergeResilience(
  shared: ResilienceOverrides | undefined,
  own: ResilienceOverrides | undefined,
): ResilienceSettings {
  return {
    retry: { ...defaultResilience.retry, ...shared?.retry, ...own?.retry },
    breaker: own?.breaker ?? shared?.breaker ?? defaultResilience.breaker,
    halfOpenAfterMs: own?.halfOpenAfterMs ?? shared?.halfOpenAfterMs ?? defaultResilience.halfOpenAfterMs,
    bulkhead: { ...defaultResilience.bulkhead, ...shared?.bulkhead, ...own?.bulkhead },
  };
}

function errorResult(error: ConnectorError): CallResult<never> {
  return { status: 'error', error: { kind: error.kind, message: error.message, retryable: error.retryable } };
}

function safeHash(input: unknown): string {
  try {
    return hashArgs(input ?? {});
  } catch {
    return hashArgs(String(input));
  }
}
