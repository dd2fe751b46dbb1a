import { type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditOutcome } from './audit.ts';
import type { CircuitStateName } from './resilience.ts';

/** Prometheus metrics of the pipeline. Labels hold connector/operation/outcome only — never customer ids. */
export interface ConnectorMetrics {
  readonly registry: Registry;
  observeCall(connector: string, operation: string, outcome: AuditOutcome, seconds: number): void;
  setCircuitState(connector: string, state: CircuitStateName): void;
}

const circuitValue: Record<CircuitStateName, number> = { closed: 0, half_open: 1, open: 2 };

/** Registers (or reuses, when another gateway already did on this registry) the pipeline's metrics. */
export function createConnectorMetrics(registry: Registry = new Registry()): ConnectorMetrics {
  const requests = reuse(
    registry,
    'switchboard_connector_requests_total',
    () =>
      new Counter({
        name: 'switchboard_connector_requests_total',
        help: 'Connector calls through the pipeline, by outcome (ok, stale, approval_required, human_required, error).',
        labelNames: ['connector', 'operation', 'outcome'] as const,
        registers: [registry],
      }),
  );
  const duration = reuse(
    registry,
    'switchboard_connector_request_duration_seconds',
    () =>
      new Histogram({
        name: 'switchboard_connector_request_duration_seconds',
        help: 'Duration of connector calls through the pipeline, retries included.',
        labelNames: ['connector', 'operation'] as const,
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
  );
  const circuit = reuse(
    registry,
    'switchboard_connector_circuit_state',
    () =>
      new Gauge({
        name: 'switchboard_connector_circuit_state',
        help: 'Circuit breaker state per connector: 0 closed, 1 half-open, 2 open.',
        labelNames: ['connector'] as const,
        registers: [registry],
      }),
  );
  return {
    registry,
    observeCall(connector, operation, outcome, seconds) {
      requests.inc({ connector, operation, outcome });
      duration.observe({ connector, operation }, seconds);
    },
    setCircuitState(connector, state) {
      circuit.set({ connector }, circuitValue[state]);
    },
  };
}

function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** The tracer used when none is passed: the globally registered provider's (a no-op if none). */
export const defaultTracer = (): Tracer => trace.getTracer('switchboard-connectors');

/** Starts the span of one call; attributes carry no customer ids. */
export function startCallSpan(tracer: Tracer, connector: string, operation: string, effect: string): Span {
  return tracer.startSpan(`connector ${connector}.${operation}`, {
    attributes: { connector, operation, effect },
  });
}

/** Records the outcome on the span and ends it. */
export function endCallSpan(span: Span, outcome: AuditOutcome, errorKind: string | null): void {
  span.setAttribute('outcome', outcome);
  if (errorKind) {
    span.setAttribute('error.kind', errorKind);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorKind });
  }
  span.end();
}
