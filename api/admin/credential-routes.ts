import { ConnectorError } from '../../connectors/core/errors.ts';
import { connectorPolicySchema, PolicyError } from '../../connectors/core/policy.ts';
import { getPolicy } from '../../connectors/core/policy-store.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  credentialsBodySchema,
  credentialsResponseSchema,
  type PolicyView,
  policyResetResponseSchema,
  policyViewSchema,
} from '../contract/admin.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange, connectorParams, iso, knownConnector } from './shared.ts';

/** Write-only credentials, and the view, change and reset of a connector's policy. */
export async function registerCredentialRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const { gateway } = context.switchboard;

  app.put(
    '/api/admin/connectors/:id/credentials',
    {
      schema: {
        ...adminSchema,
        summary:
          'Set credentials (write-only: stored encrypted; the response names the fields, never values)',
        params: connectorParams,
        body: credentialsBodySchema,
        response: { 200: credentialsResponseSchema },
      },
    },
    async (request) => {
      const connector = knownConnector(context, request.params.id);
      const human = request.human!;
      const set: string[] = [];
      const removed: string[] = [];
      for (const [field, value] of Object.entries(request.body)) {
        if (value === null) {
          await context.vault.delete(connector.id, field);
          removed.push(field);
        } else {
          await context.vault.put(connector.id, field, value);
          set.push(field);
        }
      }
      await auditAdminChange(pool, human, connector.id, 'admin.set_credentials', { fields: set, removed });
      // The field names and who changed them; the values never reach a log.
      request.log.info(
        { connector: connector.id, fields: set, removed, adminId: human.id },
        'connector credentials changed',
      );
      const stored = await context.vault.list(connector.id);
      return {
        connectorId: connector.id,
        fields: stored.map((info) => ({ field: info.field, updatedAt: iso(info.updatedAt)! })),
        removed,
        updatedAt: new Date().toISOString(),
      };
    },
  );

  async function policyOf(connectorId: string): Promise<PolicyView> {
    try {
      const [policy, stored] = await Promise.all([
        gateway.getPolicy(connectorId),
        getPolicy(pool, connectorId),
      ]);
      return {
        connectorId,
        source: stored ? 'stored' : 'default',
        updatedBy: stored?.updatedBy ?? null,
        updatedAt: iso(stored?.updatedAt),
        policy,
      };
    } catch (error) {
      if (error instanceof PolicyError || error instanceof ConnectorError) {
        throw new ApiError('conflict', `The stored policy is invalid (${error.message}); PUT a valid policy`);
      }
      throw error;
    }
  }

  app.get(
    '/api/admin/connectors/:id/policy',
    {
      schema: {
        ...adminSchema,
        summary: "The connector's effective policy: allowed operations, field rules, segment rules, limits",
        params: connectorParams,
        response: { 200: policyViewSchema },
      },
    },
    async (request) => policyOf(knownConnector(context, request.params.id).id),
  );

  app.put(
    '/api/admin/connectors/:id/policy',
    {
      schema: {
        ...adminSchema,
        summary: "Replace the connector's policy (validated; operation names must exist)",
        params: connectorParams,
        body: connectorPolicySchema,
        response: { 200: policyViewSchema },
      },
    },
    async (request) => {
      const connector = knownConnector(context, request.params.id);
      const human = request.human!;
      try {
        await gateway.setPolicy(connector.id, request.body, human.id);
      } catch (error) {
        if (error instanceof PolicyError)
          throw new ApiError('validation_failed', `Invalid body: ${error.message}`);
        throw error;
      }
      await auditAdminChange(pool, human, connector.id, 'admin.set_policy', {});
      request.log.info({ connector: connector.id, adminId: human.id }, 'connector policy changed');
      return policyOf(connector.id);
    },
  );

  app.delete(
    '/api/admin/connectors/:id/policy',
    {
      schema: {
        ...adminSchema,
        summary:
          "Reset the connector's policy to its configured default (removes the admin's override; idempotent)",
        params: connectorParams,
        response: { 200: policyResetResponseSchema },
      },
    },
    async (request) => {
      const connector = knownConnector(context, request.params.id);
      const human = request.human!;
      // Through the gateway, so its policy cache is cleared and the next call uses the default
      // (docs/connectors-core.md, "Policy"). An invalid stored override can be reset too.
      const removed = await gateway.resetPolicy(connector.id);
      // The audit log records changes: asking again when the default already applies changes nothing.
      if (removed) {
        await auditAdminChange(pool, human, connector.id, 'admin.reset_policy', {});
        request.log.info({ connector: connector.id, adminId: human.id }, 'connector policy reset to default');
      }
      return { ...(await policyOf(connector.id)), removed };
    },
  );
}
