import { CustomConnectorError } from '../../connectors/custom/builder.ts';
import { customConnectorBuilders } from '../../connectors/custom/kinds.ts';
import {
  customConnectorVersions,
  deleteCustomConnector,
  getCustomConnector,
  listCustomConnectors,
  type StoredCustomConnector,
  saveCustomConnector,
  setCustomConnectorEnabled,
} from '../../connectors/custom/store.ts';
import { controlChannel } from '../../conversations/live-events.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  type CustomConnectorView,
  customConnectorBodySchema,
  customConnectorDeletedSchema,
  customConnectorEnabledBodySchema,
  customConnectorListSchema,
  customConnectorParamsSchema,
  customConnectorVersionsSchema,
  customConnectorViewSchema,
} from '../contract/custom-connectors.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange, iso } from './shared.ts';

/**
 * The admin's custom connectors: saved as versions, switched on and off, deleted. Each change is
 * applied in this process at once and in every other through the control channel; the declaration
 * itself is checked by its kind's builder (connectors/custom/kinds.ts), and a bad one stores nothing.
 */
export async function registerCustomConnectorRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;

  /** Reloads this process's custom connectors and tells the others to. */
  const applied = async (connectorId: string) => {
    await context.customConnectors.reload();
    await context.bus.publish(controlChannel, {
      kind: 'custom_connectors',
      connectorId,
      origin: context.instanceId,
    });
  };

  const view = (row: StoredCustomConnector): CustomConnectorView => {
    const state = context.customConnectors.states().find((candidate) => candidate.id === row.id);
    const described = context.switchboard.gateway.describe().find((candidate) => candidate.id === row.id);
    return {
      id: row.id,
      kind: row.kind,
      title: row.title,
      version: row.version,
      enabled: row.enabled,
      spec: row.spec,
      updatedAt: iso(row.updatedAt)!,
      updatedBy: row.updatedBy,
      state: !row.enabled ? 'disabled' : state?.error || !described ? 'unavailable' : 'running',
      problem: row.enabled ? (state?.error ?? (described ? null : 'not loaded in this process yet')) : null,
      operations: row.enabled && !state?.error ? (described?.operations ?? []) : [],
    };
  };

  const found = async (id: string) => {
    const row = await getCustomConnector(pool, id);
    if (!row) throw new ApiError('not_found', `No custom connector "${id}"`);
    return row;
  };

  app.get(
    '/api/admin/custom-connectors',
    {
      schema: {
        ...adminSchema,
        summary: 'The custom connectors (HTTP, MCP): declaration, version, and whether each runs',
        response: { 200: customConnectorListSchema },
      },
    },
    async () => ({ connectors: (await listCustomConnectors(pool)).map(view) }),
  );

  app.get(
    '/api/admin/custom-connectors/:id/versions',
    {
      schema: {
        ...adminSchema,
        summary: 'Every saved version of a custom connector, newest first',
        params: customConnectorParamsSchema,
        response: { 200: customConnectorVersionsSchema },
      },
    },
    async (request) => {
      const versions = await customConnectorVersions(pool, request.params.id);
      if (versions.length === 0)
        throw new ApiError('not_found', `No custom connector "${request.params.id}"`);
      return {
        versions: versions.map((version) => ({ ...version, createdAt: iso(version.createdAt)! })),
      };
    },
  );

  app.put(
    '/api/admin/custom-connectors/:id',
    {
      schema: {
        ...adminSchema,
        summary:
          'Save a custom connector as its next version (validated by its kind; nothing is stored when invalid); applied at once in every process',
        params: customConnectorParamsSchema,
        body: customConnectorBodySchema,
        response: { 200: customConnectorViewSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const human = request.human!;
      const saved = await declared(async () => {
        await context.customConnectors.preflight(request.body.kind, request.body.spec);
        return saveCustomConnector(pool, customConnectorBuilders, { id, ...request.body }, human.email);
      });
      await auditAdminChange(pool, human, id, 'admin.save_custom_connector', {
        kind: saved.kind,
        version: saved.version,
      });
      await applied(id);
      return view(saved);
    },
  );

  app.put(
    '/api/admin/custom-connectors/:id/enabled',
    {
      schema: {
        ...adminSchema,
        summary: 'Switch a custom connector on or off (its declaration is kept)',
        params: customConnectorParamsSchema,
        body: customConnectorEnabledBodySchema,
        response: { 200: customConnectorViewSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const human = request.human!;
      if (!(await setCustomConnectorEnabled(pool, id, request.body.enabled, human.email)))
        throw new ApiError('not_found', `No custom connector "${id}"`);
      await auditAdminChange(pool, human, id, 'admin.enable_custom_connector', {
        enabled: request.body.enabled,
      });
      await applied(id);
      return view(await found(id));
    },
  );

  app.delete(
    '/api/admin/custom-connectors/:id',
    {
      schema: {
        ...adminSchema,
        summary: 'Delete a custom connector and its stored credentials (its saved versions stay on record)',
        params: customConnectorParamsSchema,
        response: { 200: customConnectorDeletedSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const human = request.human!;
      const deleted = await deleteCustomConnector(pool, id);
      if (deleted) {
        await context.vault.delete(id);
        await auditAdminChange(pool, human, id, 'admin.delete_custom_connector', {});
        await applied(id);
      }
      return { deleted };
    },
  );
}

/** Runs a store step, turning a declaration problem into a 400 (or 409) naming where it is. */
async function declared<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof CustomConnectorError)
      throw new ApiError(error.reason === 'invalid' ? 'validation_failed' : error.reason, error.message);
    throw error;
  }
}
