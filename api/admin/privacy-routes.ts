import {
  type ContactReference,
  eraseContact,
  exportContact,
  PrivacyError,
} from '../../conversations/privacy.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  erasureResultSchema,
  privacyContactParamsSchema,
  privacyEraseBodySchema,
  privacyExportQuerySchema,
  privacyExportSchema,
} from '../contract/admin.ts';
import { ApiError } from '../errors.ts';
import { adminSchema } from './shared.ts';

/** The privacy module's refusals as API errors: an unknown contact is 404, a wrong confirmation 400. */
function asApiError(error: unknown): unknown {
  if (!(error instanceof PrivacyError)) return error;
  return error.code === 'not_found'
    ? new ApiError('not_found', error.message)
    : new ApiError('validation_failed', error.message, [{ path: 'confirmEmail', message: error.message }]);
}

/**
 * Privacy operations on one contact (docs/privacy.md): export everything held about them, and erase
 * it. Admin session only (the admin group's hook); erasure also takes the CSRF token like every write.
 */
export async function registerPrivacyRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const exportOf = async (reference: ContactReference) => {
    // Connector calls still buffered in this process would be missing from the audit part.
    await context.switchboard.gateway.flush();
    return exportContact(pool, reference).catch((error: unknown) => {
      throw asApiError(error);
    });
  };

  app.get(
    '/api/admin/privacy/contacts/:contactId/export',
    {
      schema: {
        ...adminSchema,
        summary: 'Everything held about one contact, as one JSON document (a subject access request)',
        params: privacyContactParamsSchema,
        response: { 200: privacyExportSchema },
      },
    },
    async (request) => exportOf({ contactId: request.params.contactId }),
  );

  app.get(
    '/api/admin/privacy/export',
    {
      schema: {
        ...adminSchema,
        summary: 'The same export, finding the contact by email address (also one erased earlier)',
        querystring: privacyExportQuerySchema,
        response: { 200: privacyExportSchema },
      },
    },
    async (request) => exportOf({ email: request.query.email }),
  );

  app.post(
    '/api/admin/privacy/contacts/:contactId/erase',
    {
      schema: {
        ...adminSchema,
        summary:
          "Erase one contact: delete their transcripts and mail, anonymise what accounting and audit keep; confirmEmail must be the contact's address",
        params: privacyContactParamsSchema,
        body: privacyEraseBodySchema,
        response: { 200: erasureResultSchema },
      },
    },
    async (request) => {
      const human = request.human!;
      await context.switchboard.gateway.flush();
      const result = await eraseContact(
        pool,
        { contactId: request.params.contactId },
        {
          confirmation: request.body.confirmEmail,
          actor: { kind: 'human', id: human.id, email: human.email },
          ...(context.settings.outboxDataDir ? { dataDir: context.settings.outboxDataDir } : {}),
        },
      ).catch((error: unknown) => {
        throw asApiError(error);
      });
      request.log.info(
        { contactId: result.contactId, alreadyErased: result.alreadyErased, humanId: human.id },
        'contact erased',
      );
      return result;
    },
  );
}
