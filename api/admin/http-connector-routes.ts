import type { CallerSession } from '../../connectors/core/definition.ts';
import {
  fetchDocument,
  importOpenApi,
  maxDocumentBytes,
  OpenApiImportError,
} from '../../connectors/custom/http/openapi-import.ts';
import { httpConnectorSpecSchema } from '../../connectors/custom/http/spec.ts';
import { getCustomConnector } from '../../connectors/custom/store.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import { customConnectorParamsSchema } from '../contract/custom-connectors.ts';
import {
  httpImportBodySchema,
  httpImportResponseSchema,
  httpTestBodySchema,
  httpTestResponseSchema,
} from '../contract/http-connectors.ts';
import { ApiError } from '../errors.ts';
import { adminSchema } from './shared.ts';

/**
 * HTTP connectors' own admin routes (docs/custom-connectors.md): an OpenAPI document (text or URL)
 * → a draft declaration, stored by nobody; and "Test operation", one read run through the real
 * gateway for a chosen contact. Saving, enabling and deleting are the generic custom-connector routes.
 */
export async function registerHttpConnectorRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const outbound = { allowedHosts: context.settings.customConnectorAllowedHosts ?? [] };

  app.post(
    '/api/admin/custom-connectors/http/import',
    {
      bodyLimit: maxDocumentBytes + 64 * 1024,
      schema: {
        ...adminSchema,
        summary:
          'Read an OpenAPI 3.x document (JSON/YAML text or an http(s) URL) into a draft HTTP connector declaration; nothing is stored',
        body: httpImportBodySchema,
        response: { 200: httpImportResponseSchema },
      },
    },
    async (request) => {
      const { document, url } = request.body;
      try {
        const text = document ?? (await fetchDocument(url!, outbound));
        const draft = await importOpenApi(text, url ? { sourceUrl: url } : {});
        return {
          title: draft.title,
          spec: draft.spec,
          operations: draft.spec.operations.map((operation) => ({
            name: operation.name,
            method: operation.method,
            path: operation.path,
            effect: operation.effect,
            description: operation.description,
          })),
          warnings: draft.warnings,
        };
      } catch (error) {
        if (error instanceof OpenApiImportError)
          throw new ApiError('validation_failed', `The document cannot be imported: ${error.message}`, {
            path: error.path,
          });
        throw error;
      }
    },
  );

  app.post(
    '/api/admin/custom-connectors/:id/test',
    {
      schema: {
        ...adminSchema,
        summary:
          "Test operation: run one read operation of an HTTP connector through the gateway, as the chosen contact's verified session",
        params: customConnectorParamsSchema,
        body: httpTestBodySchema,
        response: { 200: httpTestResponseSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { operation, contactId, input } = request.body;
      const stored = await getCustomConnector(pool, id);
      if (stored?.kind !== 'http') throw new ApiError('not_found', `No HTTP connector "${id}"`);
      const spec = httpConnectorSpecSchema.safeParse(stored.spec);
      const declared = spec.success
        ? spec.data.operations.find((candidate) => candidate.name === operation)
        : null;
      if (!declared) throw new ApiError('validation_failed', `${id} has no operation "${operation}"`);
      if (declared.effect !== 'read')
        throw new ApiError('validation_failed', `${operation} is a write: only reads are run as a test`);
      const { rows } = await pool.query<{ id: string; account_id: string; tier: string | null }>(
        'SELECT c.id, c.account_id, a.tier FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE c.id = $1',
        [contactId],
      );
      const contact = rows[0];
      if (!contact) throw new ApiError('not_found', `No contact "${contactId}"`);
      const human = request.human!;
      // The session the chat would have for this contact once verified; the gateway audits the call
      // as the admin (actor `human`, the admin's id).
      const session: CallerSession = {
        conversationId: null,
        actor: 'human',
        actorId: human.id,
        customer: {
          contactId: contact.id,
          accountId: contact.account_id,
          verified: true,
          ...(contact.tier ? { tier: contact.tier } : {}),
        },
      };
      const started = performance.now();
      const result = await context.switchboard.gateway.callByName(session, id, operation, input);
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      return { result, durationMs };
    },
  );
}
