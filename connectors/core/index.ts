/** Public surface of the connector core: contracts, the gateway, credentials, faults and health. */
export type { AuditOutcome, AuditSettings } from './audit.ts';
export { canonicalJson, hashArgs } from './canonical.ts';
export {
  type CircuitView,
  type ConnectorGatewayOptions,
  createConnectorGateway,
  type ManagedConnectorGateway,
  type ResilienceOverrides,
} from './connector-gateway.ts';
export type {
  AnyOperationDefinition,
  CallerSession,
  ConnectorDefinition,
  Effect,
  OperationContext,
  OperationDefinition,
  OwnershipCheck,
  PolicyNumbers,
} from './definition.ts';
export { defineOperation } from './definition.ts';
export { ConnectorError, type ConnectorErrorKind, isConnectorError } from './errors.ts';
export { createFaultInjector, type FaultInjector, type FaultMode, type FaultSpec } from './faults.ts';
export type { CallOptions, ConnectorGateway } from './gateway.ts';
export { type ConnectorHealth, type CredentialStatus, checkConnector, createHealthView } from './health.ts';
export type { Logger } from './logger.ts';
export {
  addMasterKey,
  loadOrCreateMasterKey,
  MasterKeyError,
  type MasterKeys,
  parseMasterKeys,
  pruneMasterKeys,
} from './master-key.ts';
export { createOAuthTokenManager, type OAuthTokenManager, type RefreshedTokens } from './oauth.ts';
export {
  type ConnectorPolicy,
  type ConnectorPolicyInput,
  connectorPolicySchema,
  parseConnectorPolicy,
} from './policy.ts';
export { deletePolicy, getPolicy, setPolicy } from './policy-store.ts';
export type { Queryable } from './queryable.ts';
export {
  createRedisCircuitStore,
  type RedisCircuitStore,
  type RedisCircuitStoreOptions,
} from './redis-circuit-store.ts';
export { type CircuitStateName, defaultResilience, type ResilienceSettings } from './resilience.ts';
export type { CallResult, PendingAction } from './result.ts';
export type { SharedCircuitRecord, SharedCircuitStore } from './shared-circuit.ts';
export { type CredentialInfo, type CredentialVault, createVault, VaultError } from './vault.ts';
