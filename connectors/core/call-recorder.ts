import type { Span } from '@opentelemetry/api';
import type { AuditOutcome, AuditWriter } from './audit.ts';
import type { CallerSession, Effect } from './definition.ts';
import type { HealthTracker } from './health.ts';
import type { Logger } from './logger.ts';
import type { CallTrace } from './pipeline.ts';
import { scrubMessage } from './redaction.ts';
import type { CallResult } from './result.ts';
import { type ConnectorMetrics, endCallSpan } from './telemetry.ts';

/** One finished call, as the recorder needs it. */
export interface FinishedCall {
  session: CallerSession;
  connectorId: string;
  operationName: string;
  /** False for unknown connector/operation names (no health sample). */
  known: boolean;
  effect: Effect;
  /** Metric/span labels: the real names, or `_unknown` for names the caller made up. */
  labels: { connector: string; operation: string };
  at: Date;
  /** `performance.now()` at the start of the call. */
  started: number;
  trace: CallTrace;
  span: Span;
  result: CallResult<unknown>;
}

/** Records a finished call: health sample, metrics, span, audit row and one debug log line. */
export function createCallRecorder(deps: {
  tracker: HealthTracker;
  metrics: ConnectorMetrics;
  audit: AuditWriter;
  logger: Logger;
}) {
  return {
    async record(call: FinishedCall): Promise<void> {
      const { trace, result, labels } = call;
      const latencyMs = performance.now() - call.started;
      const outcome = outcomeOf(result);
      const errorKind =
        result.status === 'error'
          ? result.error.kind
          : ((trace.detail.error_kind as string | undefined) ?? null);
      if (call.known && trace.vendor) {
        const vendorError = trace.vendor.ok ? undefined : trace.vendor.error;
        deps.tracker.record(call.connectorId, {
          ok: trace.vendor.ok,
          latencyMs: trace.vendor.latencyMs,
          ...(vendorError
            ? { error: { kind: vendorError.kind, message: scrubMessage(vendorError.message, trace.scrub) } }
            : {}),
        });
      }
      deps.metrics.observeCall(labels.connector, labels.operation, outcome, latencyMs / 1000);
      endCallSpan(call.span, outcome, errorKind);
      try {
        await deps.audit.write({
          at: call.at,
          conversationId: call.session.conversationId,
          actor: call.session.actor,
          accountId: call.session.customer?.accountId ?? null,
          connectorId: call.connectorId,
          operation: call.operationName,
          effect: call.effect,
          argsHash: trace.argsHash,
          idempotencyKey: trace.idempotencyKey,
          outcome,
          errorKind,
          latencyMs,
          stale: outcome === 'stale',
          detail: trace.detail,
        });
      } catch (error) {
        deps.logger.error({ err: error, ...labels }, 'audit row could not be written');
      }
      deps.logger.debug(
        { ...labels, outcome, latencyMs: Math.round(latencyMs * 100) / 100, errorKind },
        'connector call',
      );
    },
  };
}

function outcomeOf(result: CallResult<unknown>): AuditOutcome {
  if (result.status === 'ok') return result.stale ? 'stale' : 'ok';
  return result.status;
}
