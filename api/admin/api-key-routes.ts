import type { ApiApp, ApiContext } from '../context.ts';
import {
  type ApiKeyView,
  apiKeyCreateBodySchema,
  apiKeyCreatedSchema,
  apiKeyListSchema,
  apiKeyParamsSchema,
  apiKeyViewSchema,
} from '../contract/api-keys.ts';
import { ApiError } from '../errors.ts';
import {
  type ApiKeyRecord,
  ApiKeySubjectError,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../mcp/api-keys.ts';
import { adminSchema, auditAdminChange, iso } from './shared.ts';

/** What the audit log names for key changes (they concern no connector). */
const auditSubject = 'mcp';

/** API keys of the MCP server: create (shown once), list, revoke. Every change is audited. */
export async function registerApiKeyRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;

  app.post(
    '/api/admin/api-keys',
    {
      schema: {
        ...adminSchema,
        summary: 'Create an MCP API key for one customer or one staff member (the key is shown only here)',
        body: apiKeyCreateBodySchema,
        response: { 201: apiKeyCreatedSchema },
      },
    },
    async (request, reply) => {
      const human = request.human!;
      try {
        const { key, record } = await createApiKey(pool, {
          name: request.body.name,
          subject: request.body.subject,
          createdBy: human.id,
        });
        await auditAdminChange(pool, human, auditSubject, 'admin.create_api_key', {
          api_key_id: record.id,
          kind: record.kind,
          contact_id: record.contactId,
          human_id: record.humanId,
        });
        request.log.info({ apiKeyId: record.id, kind: record.kind, adminId: human.id }, 'API key created');
        return reply.code(201).send({ key, apiKey: viewOf(record) });
      } catch (error) {
        if (error instanceof ApiKeySubjectError) throw new ApiError('validation_failed', error.message);
        throw error;
      }
    },
  );

  app.get(
    '/api/admin/api-keys',
    {
      schema: {
        ...adminSchema,
        summary: 'Every MCP API key (never the key itself)',
        response: { 200: apiKeyListSchema },
      },
    },
    async () => ({ apiKeys: (await listApiKeys(pool)).map(viewOf) }),
  );

  app.delete(
    '/api/admin/api-keys/:id',
    {
      schema: {
        ...adminSchema,
        summary: 'Revoke an MCP API key: refused from the next request on',
        params: apiKeyParamsSchema,
        response: { 200: apiKeyViewSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      const record = await revokeApiKey(pool, request.params.id);
      if (!record) throw new ApiError('not_found', `No API key "${request.params.id}"`);
      await auditAdminChange(pool, human, auditSubject, 'admin.revoke_api_key', { api_key_id: record.id });
      request.log.info({ apiKeyId: record.id, adminId: human.id }, 'API key revoked');
      return viewOf(record);
    },
  );
}

function viewOf(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    name: record.name,
    keyPrefix: record.keyPrefix,
    kind: record.kind,
    contactId: record.contactId,
    humanId: record.humanId,
    createdBy: record.createdBy,
    createdAt: iso(record.createdAt)!,
    lastUsedAt: iso(record.lastUsedAt),
    revokedAt: iso(record.revokedAt),
  };
}
