import type { CredentialInfo } from '../../connectors/core/vault.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  type ConnectorHealth,
  type CredentialSummary,
  connectorDetailResponseSchema,
  connectorListResponseSchema,
  connectorTestResponseSchema,
} from '../contract/admin.ts';
import {
  auditHealth,
  healthStatus,
  healthWindowMs,
  idleHealth,
  latencyBuckets,
  recentCalls,
} from './connector-health.ts';
import { registerCredentialRoutes } from './credential-routes.ts';
import { adminSchema, connectorParams, iso, knownConnector } from './shared.ts';

/** The credential summary of one connector from the vault's metadata (no secret is opened). */
export async function summarizeCredentials(
  context: ApiContext,
  connectorId: string,
  stored: CredentialInfo[],
): Promise<CredentialSummary> {
  const fields = stored.filter((info) => info.connectorId === connectorId);
  if (fields.length === 0) return { state: 'not_required', fields: [] };
  const status = await context.vault.status(
    connectorId,
    fields.map((info) => info.field),
  );
  return {
    state: status.state,
    fields: fields.map((info) => ({
      field: info.field,
      set: true,
      updatedAt: iso(info.updatedAt)!,
      expiresAt: iso(info.expiresAt),
    })),
  };
}

/** Connectors: list with health, one connector in detail, test connection; credentials and policy. */
export async function registerConnectorRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const { gateway } = context.switchboard;

  async function healthOf(connectorId?: string) {
    // Buffered audit rows of this process's calls go in first, so the numbers include them.
    await gateway.flush();
    const since = new Date(Date.now() - healthWindowMs);
    const [stats, series] = await Promise.all([
      auditHealth(pool, since, connectorId),
      latencyBuckets(pool, since, connectorId),
    ]);
    // The circuit as every process shares it (with Redis), not only this API process's breaker.
    const ids = connectorId ? [connectorId] : gateway.describe().map((connector) => connector.id);
    const circuits = new Map(
      await Promise.all(ids.map(async (id) => [id, await gateway.circuit(id)] as const)),
    );
    return (id: string): ConnectorHealth => {
      const own = stats.get(id) ?? idleHealth();
      const circuit = circuits.get(id) ?? { state: gateway.circuitState(id), openUntil: null, reason: null };
      return {
        status: healthStatus(own, circuit.state),
        windowMinutes: healthWindowMs / 60_000,
        ...own,
        circuit: circuit.state,
        circuitOpenUntil: iso(circuit.openUntil),
        circuitReason: circuit.reason,
        latency: series.get(id) ?? [],
      };
    };
  }

  app.get(
    '/api/admin/connectors',
    {
      schema: {
        ...adminSchema,
        summary:
          'Connectors with health over the last 15 minutes (from the audit log), operations, credentials',
        response: { 200: connectorListResponseSchema },
      },
    },
    async () => {
      const [healthFor, stored] = await Promise.all([healthOf(), context.vault.list()]);
      const connectors = await Promise.all(
        gateway.describe().map(async (connector) => ({
          ...connector,
          health: healthFor(connector.id),
          credentials: await summarizeCredentials(context, connector.id, stored),
        })),
      );
      return { connectors };
    },
  );

  app.get(
    '/api/admin/connectors/:id',
    {
      schema: {
        ...adminSchema,
        summary: 'One connector: health with recent calls, operations, credentials (names only), policy',
        params: connectorParams,
        response: { 200: connectorDetailResponseSchema },
      },
    },
    async (request) => {
      const connector = knownConnector(context, request.params.id);
      const since = new Date(Date.now() - healthWindowMs);
      const healthFor = await healthOf(connector.id);
      const [stored, calls, policy] = await Promise.all([
        context.vault.list(connector.id),
        recentCalls(pool, connector.id, since),
        gateway.getPolicy(connector.id),
      ]);
      return {
        ...connector,
        health: healthFor(connector.id),
        credentials: await summarizeCredentials(context, connector.id, stored),
        recentCalls: calls,
        policy,
      };
    },
  );

  app.post(
    '/api/admin/connectors/:id/test',
    {
      schema: {
        ...adminSchema,
        summary: "Test the connection: runs the connector's who-am-I check",
        params: connectorParams,
        response: { 200: connectorTestResponseSchema },
      },
    },
    async (request) => {
      const connector = knownConnector(context, request.params.id);
      const result = await gateway.checkConnector(connector.id);
      return { ...result, latencyMs: Math.round(result.latencyMs * 10) / 10 };
    },
  );

  await registerCredentialRoutes(app, context);
}
