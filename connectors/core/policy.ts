import { z } from 'zod';
import type { CallerSession, PolicyNumbers } from './definition.ts';
import { type FieldRules, parsePath } from './redaction.ts';

const fieldPath = z.string().refine(
  (path) => {
    try {
      parsePath(path);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a field path like "email", "owner.email" or "contacts[].email"' },
);

/** The name of a policy number a connector declares (e.g. billing's `auto_refund_limit_cents`). */
const policyNumberName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be a policy number name such as auto_refund_limit_cents');

/** Authorization policy of one connector: what may be called, which fields pass, segments, limits. */
export const connectorPolicySchema = z
  .object({
    /** Operations that may be called; absent means all of the connector's operations. */
    allowedOperations: z.array(z.string().min(1)).optional(),
    /** Per operation name (or '*' for all): output allow-list and redacted paths. */
    fields: z
      .record(
        z.string(),
        z.object({ allow: z.array(fieldPath).optional(), redact: z.array(fieldPath).optional() }).strict(),
      )
      .default({}),
    /** Customer segments whose requests for these operations go to a person (or are refused). */
    segmentRules: z
      .array(
        z
          .object({
            name: z.string().min(1).optional(),
            tiers: z.array(z.string().min(1)).min(1),
            operations: z.array(z.string().min(1)).min(1),
            action: z.enum(['human_only', 'deny']),
          })
          .strict(),
      )
      .default([]),
    /** Numeric input fields above which a human must approve (e.g. refunds above the auto-refund limit). */
    actionLimits: z
      .array(
        z
          .object({
            operation: z.string().min(1),
            field: fieldPath,
            max: z.union([z.number(), z.object({ policy: policyNumberName }).strict()]),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/** A validated connector policy. */
export type ConnectorPolicy = z.infer<typeof connectorPolicySchema>;
/** A connector policy as written by hand (defaults not yet applied). */
export type ConnectorPolicyInput = z.input<typeof connectorPolicySchema>;

/** A connector policy is invalid; the message names the connector and what is wrong. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Parses a policy, throwing a PolicyError that names the connector and the bad field. */
export function parseConnectorPolicy(connectorId: string, value: unknown): ConnectorPolicy {
  const parsed = connectorPolicySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new PolicyError(
    `Invalid policy for connector "${connectorId}" at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
}

/** The policy when none is configured or stored: everything allowed, nothing redacted, no rules. */
export const openPolicy: ConnectorPolicy = connectorPolicySchema.parse({});

/** What the policy stage decides before anything runs. */
export type PolicyDecision =
  | { action: 'allow' }
  | { action: 'forbidden'; message: string }
  | { action: 'human_required'; rule: string }
  | { action: 'approval_required'; reason: string };

/** Applies allowed operations, segment rules and action limits to a bound, validated input. */
export function decide(
  policy: ConnectorPolicy,
  operation: string,
  input: Record<string, unknown>,
  session: CallerSession,
  world: PolicyNumbers,
  approved: boolean,
): PolicyDecision {
  if (policy.allowedOperations && !policy.allowedOperations.includes(operation)) {
    return { action: 'forbidden', message: `operation ${operation} is not allowed by the connector policy` };
  }
  const tier = session.customer?.tier;
  for (const rule of policy.segmentRules) {
    if (!tier || !rule.tiers.includes(tier) || !rule.operations.includes(operation)) continue;
    const name =
      rule.name ??
      `tier ${tier}: ${operation} is ${rule.action === 'deny' ? 'not allowed' : 'handled by a person'}`;
    if (rule.action === 'deny') return { action: 'forbidden', message: `segment rule: ${name}` };
    return { action: 'human_required', rule: name };
  }
  if (approved) return { action: 'allow' };
  for (const limit of policy.actionLimits) {
    if (limit.operation !== operation) continue;
    const value = readPath(input, limit.field);
    const max = typeof limit.max === 'number' ? limit.max : world[limit.max.policy];
    // A limit on a number nobody set fails closed: a person approves.
    if (max === undefined && typeof value === 'number' && typeof limit.max !== 'number')
      return {
        action: 'approval_required',
        reason: `${limit.field} ${value}: policy number ${limit.max.policy} is not set`,
      };
    if (typeof value === 'number' && max !== undefined && value > max) {
      const label = typeof limit.max === 'number' ? 'limit' : limit.max.policy;
      return { action: 'approval_required', reason: `${limit.field} ${value} > ${label} ${max}` };
    }
  }
  return { action: 'allow' };
}

/** Field rules of an operation: its own allow-list (else the '*' one) and both redaction lists. */
export function fieldRulesFor(policy: ConnectorPolicy, operation: string): FieldRules | undefined {
  const own = policy.fields[operation];
  const shared = policy.fields['*'];
  if (!own && !shared) return undefined;
  const redact = [...(shared?.redact ?? []), ...(own?.redact ?? [])];
  const allow = own?.allow ?? shared?.allow;
  return { ...(allow ? { allow } : {}), ...(redact.length ? { redact } : {}) };
}

function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of parsePath(path)) {
    if (segment === '[]' || current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
