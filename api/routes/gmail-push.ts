import { z } from 'zod';
import { GmailPushRefused } from '../../connectors/google/gmail/push.ts';
import type { RouteGroup } from '../context.ts';
import { errorBodySchema } from '../contract/errors.ts';
import { ApiError } from '../errors.ts';

const pushAckSchema = z.object({ received: z.literal(true), queued: z.boolean() });

/**
 * `POST /api/webhooks/gmail`: Gmail's mailbox notifications, pushed by a Cloud Pub/Sub push
 * subscription with an OIDC token (connectors/google/gmail/push.ts verifies it). A verified push only
 * queues the same history sync the poll runs (`gmail.sync`, de-duplicated while one waits), so a
 * forged or replayed push could at most make us read our own mailbox early. Any 2xx acknowledges
 * the message to Pub/Sub; a refusal is 401/403 (Pub/Sub redelivers, and the poll catches up anyway).
 */
export const gmailPushRoutes: RouteGroup = async (app, context) => {
  app.post(
    '/api/webhooks/gmail',
    {
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['webhooks'],
        summary: 'Gmail push notifications in (Pub/Sub push with an OIDC token)',
        description:
          'Pub/Sub push body `{ message: { data }, subscription }`, data being Gmail’s base64 JSON `{ emailAddress, historyId }`, with `Authorization: Bearer <OIDC token>` for the configured audience and service account. docs/connectors.md ("Gmail").',
        body: z.unknown(),
        response: {
          200: pushAckSchema,
          400: errorBodySchema,
          401: errorBodySchema,
          403: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request) => {
      const verify = context.gmailPush;
      if (!verify)
        throw new ApiError(
          'unavailable',
          'Gmail push is not configured: set GMAIL_PUSH_AUDIENCE and GMAIL_PUSH_SERVICE_ACCOUNT',
        );
      let notification: Awaited<ReturnType<typeof verify>>;
      try {
        notification = await verify(request.headers.authorization, request.body);
      } catch (error) {
        if (!(error instanceof GmailPushRefused)) throw error;
        request.log.warn({ reason: error.message }, 'a Gmail push was refused');
        throw new ApiError(
          error.status === 401 ? 'unauthorized' : error.status === 403 ? 'forbidden' : 'validation_failed',
          error.message,
        );
      }
      await context.jobs.enqueue(
        'gmail.sync',
        { reason: 'push', historyId: notification.historyId },
        { jobId: 'gmail.sync' },
      );
      return { received: true as const, queued: true };
    },
  );
};
