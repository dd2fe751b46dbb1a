import type { ReadCache } from './cache.ts';
import { readCacheKey } from './cache.ts';
import { hashArgs, toJsonValue } from './canonical.ts';
import type {
  AnyOperationDefinition,
  CallerSession,
  ConnectorDefinition,
  PolicyNumbers,
} from './definition.ts';
import { ConnectorError, type ConnectorErrorKind } from './errors.ts';
import { type FaultInjector, runWithFault } from './faults.ts';
import type { CallOptions } from './gateway.ts';
import type { IdempotencyStore, LeaseHeartbeat } from './idempotency.ts';
import { bindIdentity, checkOwnership } from './identity.ts';
import { decide, fieldRulesFor } from './policy.ts';
import type { PolicySource } from './policy-cache.ts';
import type { Queryable } from './queryable.ts';
import { applyFieldRules, applyRedactions, dropSecretKeys, scrubMessage, valuesAt } from './redaction.ts';
import type { ConnectorResilience } from './resilience.ts';
import type { CallResult } from './result.ts';

/** What the stages need; built once by `createConnectorGateway`. */
export interface PipelineDeps {
  db: Queryable;
  policies: PolicySource;
  worldPolicy: () => Promise<PolicyNumbers>;
  now: () => Date;
  idempotency: IdempotencyStore;
  cache: ReadCache;
  resilience: (connectorId: string) => ConnectorResilience;
  faults?: FaultInjector;
}

/** What a call leaves behind for the audit row, the log line and health (filled as stages run). */
export interface CallTrace {
  argsHash: string;
  idempotencyKey: string | null;
  /** Sanitised input and stage notes; never secrets or redacted fields. */
  detail: Record<string, unknown>;
  /** Values of redacted input fields, scrubbed out of error messages. */
  scrub: string[];
  /** Set when the call reached the vendor: whether the vendor answered, and how long that took. */
  vendor?: { ok: boolean; latencyMs: number; error?: ConnectorError };
}

/** Kinds that mean the vendor (not the caller) failed: they count against health and allow stale reads. */
export const vendorFailureKinds: ReadonlySet<ConnectorErrorKind> = new Set([
  'transient',
  'rate_limited',
  'auth_expired',
  'permanent',
]);

/** Runs identity → policy → idempotency → resilience for one known operation. Throws only on bugs. */
export async function runPipeline(
  deps: PipelineDeps,
  trace: CallTrace,
  connector: ConnectorDefinition,
  operation: AnyOperationDefinition,
  session: CallerSession,
  rawInput: Record<string, unknown>,
  options: CallOptions,
): Promise<CallResult<unknown>> {
  const policy = await deps.policies.effective(connector.id);
  const rules = fieldRulesFor(policy, operation.name);

  // 1. Identity: the customer comes from the session; records must be the customer's own.
  const bound = bindIdentity(session, operation, rawInput);
  const parsed = operation.input.safeParse(bound);
  if (!parsed.success) {
    const messages = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`,
    );
    throw new ConnectorError(
      'invalid_input',
      `invalid input for ${connector.id}.${operation.name}: ${messages.join('; ')}`,
    );
  }
  const input = parsed.data as Record<string, unknown>;
  trace.argsHash = hashArgs(input);
  trace.scrub = valuesAt(input, rules?.redact);
  trace.detail.input = dropSecretKeys(applyRedactions(toJsonValue(input), rules?.redact));
  await checkOwnership(session, operation, input, deps.db);

  // 2. Policy: allowed operations, segment rules, action limits.
  const world = await deps.worldPolicy();
  const decided = decide(policy, operation.name, input, session, world, options.approval !== undefined);
  const decision =
    decided.action === 'allow' && operation.alwaysNeedsApproval && !options.approval
      ? { action: 'approval_required' as const, reason: `${operation.name} always needs a person's approval` }
      : decided;
  if (decision.action === 'forbidden') throw new ConnectorError('forbidden', decision.message);
  if (decision.action === 'human_required') {
    trace.detail.rule = decision.rule;
    return { status: 'human_required', rule: decision.rule };
  }
  const key = idempotencyKeyOf(session, connector.id, operation, input, options);
  if (decision.action === 'approval_required') {
    trace.detail.pending_reason = decision.reason;
    trace.idempotencyKey = key;
    return {
      status: 'approval_required',
      pendingAction: {
        connector: connector.id,
        operation: operation.name,
        input: toJsonValue(input),
        idempotencyKey:
          key ?? `${session.conversationId ?? 'system'}:${connector.id}.${operation.name}:${trace.argsHash}`,
        actionKey: `${connector.id}.${operation.name}:${operation.idempotencyKey ? operation.idempotencyKey(input) : trace.argsHash}`,
        reason: decision.reason,
      },
    };
  }
  if (options.approval) trace.detail.approved_by = options.approval.approvedBy;

  // 3. Idempotency: every write runs under a key it holds; a completed key replays its result.
  let lease: string | null = null;
  if (operation.effect === 'write') {
    if (!key) {
      throw new ConnectorError(
        'invalid_input',
        `${connector.id}.${operation.name} is a write without an idempotency key: pass options.idempotencyKey`,
      );
    }
    trace.idempotencyKey = key;
    const claim = await deps.idempotency.claim(key, connector.id, operation.name, trace.argsHash);
    if (claim.kind === 'replay') {
      trace.detail.replayed = true;
      return { status: 'ok', data: replayedResult(operation, claim.data), stale: false, replayed: true };
    }
    lease = claim.lease;
  }
  // The lease is short and renewed while this call runs, so it lasts as long as its holder lives:
  // a slow vendor keeps it, and a dead worker's lease expires within one TTL for its retry to take
  // over. Every way out of the call stops the heartbeat (`finally` below).
  const heartbeat = lease && key ? deps.idempotency.keepAlive(key, lease) : null;
  try {
    return await callVendor(deps, trace, { connector, operation, session, input, rules, world }, key, {
      lease,
      heartbeat,
    });
  } finally {
    await heartbeat?.stop();
  }
}

/** Stage 4 (resilience and output checks), then the write's key completed or released. */
async function callVendor(
  deps: PipelineDeps,
  trace: CallTrace,
  call: {
    connector: ConnectorDefinition;
    operation: AnyOperationDefinition;
    session: CallerSession;
    input: Record<string, unknown>;
    rules: ReturnType<typeof fieldRulesFor>;
    world: PolicyNumbers;
  },
  key: string | null,
  { lease, heartbeat }: { lease: string | null; heartbeat: LeaseHeartbeat | null },
): Promise<CallResult<unknown>> {
  const { connector, operation, session, input, rules, world } = call;
  // 4. Resilience: bulkhead, breaker, timeout and retries around the vendor call, then output checks.
  const cacheKey =
    operation.cacheable && operation.effect === 'read'
      ? readCacheKey(connector.id, operation.name, input, session)
      : null;
  const started = performance.now();
  let data: unknown;
  try {
    const { value, attempts } = await deps.resilience(connector.id).execute(
      async (signal) => {
        // Another attempt took the key over (this one stopped renewing for a whole TTL): it runs the
        // write under the same key, so this one must not start another vendor call.
        if (heartbeat?.lost) {
          throw new ConnectorError(
            'conflict',
            'this write lost its idempotency lease to another attempt, which completes it; try again shortly',
            { retryable: true },
          );
        }
        const fault = deps.faults?.take(connector.id, operation.name) ?? null;
        const raw = await runWithFault(fault, signal, () =>
          operation.run(input, {
            session,
            now: deps.now,
            signal,
            ...(key ? { idempotencyKey: key } : {}),
            policy: world,
          }),
        );
        // A garbled answer is checked inside the retry loop: a read, or a write under its idempotency
        // key, is asked again (the write is not repeated: the system answers for the same key).
        const output = operation.output.safeParse(raw);
        if (!output.success) {
          const where = output.error.issues.map(
            (issue) => `${issue.path.join('.') || '(output)'}: ${issue.message}`,
          );
          throw new ConnectorError(
            'transient',
            `malformed response from ${connector.id}.${operation.name}: ${where.slice(0, 3).join('; ')}`,
          );
        }
        return output;
      },
      {
        timeoutMs: operation.timeoutMs,
        mayRetry: operation.effect === 'read' || key !== null,
        // The reason a shared circuit opened is shown to admins: the same scrubbing as audit rows.
        scrub: (message) => scrubMessage(message, trace.scrub),
      },
    );
    trace.detail.attempts = attempts;
    const output = value;
    data = toJsonValue(applyFieldRules(output.data, rules));
    trace.vendor = { ok: true, latencyMs: performance.now() - started };
  } catch (caught) {
    const error =
      caught instanceof ConnectorError
        ? caught
        : new ConnectorError('permanent', 'unexpected failure', { cause: caught });
    trace.vendor = { ok: !vendorFailureKinds.has(error.kind), latencyMs: performance.now() - started, error };
    if (lease && key) {
      await heartbeat?.stop();
      await deps.idempotency.release(key, lease, { kind: error.kind, message: error.message });
    }
    if (cacheKey && vendorFailureKinds.has(error.kind)) {
      const cached = await deps.cache.get(cacheKey);
      if (cached) {
        trace.detail.error = error.message;
        trace.detail.error_kind = error.kind;
        trace.detail.age_seconds = cached.ageSeconds;
        return { status: 'ok', data: cached.value, stale: true, ageSeconds: cached.ageSeconds };
      }
    }
    throw error;
  }
  // Outside the try: once the vendor succeeded, a failure to store must not release the key for a re-run.
  if (lease && key) {
    await heartbeat?.stop();
    // Fenced out: the key was taken over, and the taker re-sends the write under the same key, which
    // the vendor answers with this same effect (see docs/connectors-core.md, "For connector authors").
    const kept = operation.ledger ? operation.ledger.keep(data) : data;
    if (!(await deps.idempotency.complete(key, lease, kept))) trace.detail.lease_lost = true;
  }
  if (cacheKey)
    deps.cache.put(cacheKey, connector.id, operation.name, data, accountOfRead(operation, session, input));
  return { status: 'ok', data, stale: false, replayed: false };
}

/**
 * A completed key's stored result as the caller gets it: rebuilt by the operation when the ledger
 * keeps only a secret-free form of it (`OperationDefinition.ledger`).
 */
function replayedResult(operation: AnyOperationDefinition, stored: unknown): unknown {
  if (!operation.ledger) return stored;
  try {
    return toJsonValue(operation.ledger.rebuild(stored));
  } catch (error) {
    throw new ConnectorError('permanent', `the stored result of ${operation.name} cannot be rebuilt`, {
      cause: error,
    });
  }
}

/** The account a read is for: its customer key when that names the account, else the session's. */
function accountOfRead(
  operation: AnyOperationDefinition,
  session: CallerSession,
  input: Record<string, unknown>,
): string | null {
  const named = operation.customerKey?.from === 'accountId' ? input[operation.customerKey.field] : undefined;
  return typeof named === 'string' ? named : (session.customer?.accountId ?? null);
}

/** The caller's key, else `${conversation}:${connector}.${operation}:${natural key}`; null for a keyless write. */
function idempotencyKeyOf(
  session: CallerSession,
  connectorId: string,
  operation: AnyOperationDefinition,
  input: Record<string, unknown>,
  options: CallOptions,
): string | null {
  if (options.idempotencyKey) return options.idempotencyKey;
  if (operation.idempotencyKey) {
    return `${session.conversationId ?? 'system'}:${connectorId}.${operation.name}:${operation.idempotencyKey(input)}`;
  }
  return null;
}
