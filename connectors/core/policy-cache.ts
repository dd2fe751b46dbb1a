import type { ConnectorDefinition } from './definition.ts';
import { ConnectorError } from './errors.ts';
import {
  type ConnectorPolicy,
  type ConnectorPolicyInput,
  openPolicy,
  PolicyError,
  parseConnectorPolicy,
} from './policy.ts';
import { deletePolicy, getPolicy, setPolicy } from './policy-store.ts';
import type { Queryable } from './queryable.ts';

/** Effective connector policies: the stored override, else the configured default, cached briefly. */
export interface PolicySource {
  effective(connectorId: string): Promise<ConnectorPolicy>;
  set(connectorId: string, policy: ConnectorPolicyInput, updatedBy: string | null): Promise<ConnectorPolicy>;
  /** Drops the stored override so the configured default applies to the next call; false when there was none. */
  reset(connectorId: string): Promise<boolean>;
}

/**
 * Creates the source. Defaults are validated now (a typo in an operation name must fail at boot,
 * not silently leave a limit unapplied); stored overrides are validated on write and on read.
 */
export function createPolicySource(
  db: Queryable,
  connectors: Map<string, ConnectorDefinition>,
  defaults: Record<string, ConnectorPolicyInput>,
  cacheMs: number,
): PolicySource {
  const configured = new Map<string, ConnectorPolicy>();
  for (const [connectorId, policy] of Object.entries(defaults)) {
    configured.set(connectorId, validatePolicy(connectors, connectorId, policy));
  }
  const cache = new Map<string, { policy: ConnectorPolicy; until: number }>();

  return {
    async effective(connectorId) {
      const cached = cache.get(connectorId);
      if (cached && cached.until > Date.now()) return cached.policy;
      let policy: ConnectorPolicy;
      try {
        const stored = await getPolicy(db, connectorId);
        policy = stored
          ? validatePolicy(connectors, connectorId, stored.policy)
          : (configured.get(connectorId) ?? openPolicy);
      } catch (error) {
        if (!(error instanceof PolicyError)) throw error;
        // Fail closed: without a valid policy nothing of this connector runs.
        throw new ConnectorError(
          'permanent',
          `the stored policy of connector ${connectorId} is invalid; an admin must fix it`,
          {
            cause: error,
          },
        );
      }
      if (cacheMs > 0) cache.set(connectorId, { policy, until: Date.now() + cacheMs });
      return policy;
    },
    async set(connectorId, policy, updatedBy) {
      validatePolicy(connectors, connectorId, policy);
      const saved = await setPolicy(db, connectorId, policy, updatedBy);
      cache.delete(connectorId);
      return saved;
    },
    async reset(connectorId) {
      const removed = await deletePolicy(db, connectorId);
      // Like `set`: this process's next call reads the default at once; others within `cacheMs`.
      cache.delete(connectorId);
      return removed;
    },
  };
}

/** Parses a policy and checks that every operation and policy number it names exists on the connector. */
export function validatePolicy(
  connectors: Map<string, ConnectorDefinition>,
  connectorId: string,
  value: unknown,
): ConnectorPolicy {
  const connector = connectors.get(connectorId);
  if (!connector) throw new Error(`Policy given for unknown connector "${connectorId}"`);
  const policy = parseConnectorPolicy(connectorId, value);
  const named = [
    ...(policy.allowedOperations ?? []),
    ...Object.keys(policy.fields).filter((name) => name !== '*'),
    ...policy.segmentRules.flatMap((rule) => rule.operations),
    ...policy.actionLimits.map((limit) => limit.operation),
  ];
  const unknown = named.filter((name) => !Object.hasOwn(connector.operations, name));
  if (unknown.length > 0) {
    throw new PolicyError(
      `Invalid policy for connector "${connectorId}": unknown operation(s) ${[...new Set(unknown)].join(', ')}; ` +
        `known: ${Object.keys(connector.operations).join(', ')}`,
    );
  }
  // A limit can only name a policy number the connector declares (a typo must not silently hold every call).
  const numbers = policy.actionLimits.flatMap((limit) =>
    typeof limit.max === 'number' ? [] : [limit.max.policy],
  );
  const undeclared = numbers.filter((name) => !Object.hasOwn(connector.policyNumbers ?? {}, name));
  if (undeclared.length > 0) {
    throw new PolicyError(
      `Invalid policy for connector "${connectorId}": unknown policy number(s) ${[...new Set(undeclared)].join(', ')}; ` +
        `declared: ${Object.keys(connector.policyNumbers ?? {}).join(', ') || 'none'}`,
    );
  }
  return policy;
}
