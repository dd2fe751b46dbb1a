import { createUIMessageStream, pipeUIMessageStreamToResponse, type UIMessageChunk } from 'ai';
import type { FastifyReply } from 'fastify';
import type { AgentEvent } from '../../agent/events.ts';
import { conversationChannel, type LiveEvent } from '../../conversations/live-events.ts';
import { repliesOfTurn } from '../../conversations/store.ts';
import type { ApiContext } from '../context.ts';
import type { CustomerMessage } from '../contract/customer.ts';
import { conversationTokenTtlMs } from './access-tokens.ts';
import { rotateVerifiedToken } from './conversations.ts';
import { createUiChunkMapper } from './ui-stream.ts';

/**
 * Streams the turn answering stored message `turnId` as an AI SDK UI message stream. The turn runs on a
 * worker (or the in-process runner); its events arrive over the event bus. The subscription starts
 * before the job is queued, so no event is missed. If the client goes away the turn still completes
 * (the message is stored); if the worker is slow the stream ends with status `processing` and the
 * replies arrive on `/events`.
 */
export async function streamTurn(
  context: ApiContext,
  reply: FastifyReply,
  conversationId: string,
  turn: { messageId: string; created: boolean; turnStatus: string },
): Promise<void> {
  const map = createUiChunkMapper();
  const stream = createUIMessageStream({
    onError: () => 'The reply could not be streamed; it will appear in the conversation shortly.',
    execute: async ({ writer }) => {
      const write = (event: AgentEvent) => {
        for (const chunk of map(event)) writer.write(chunk as UIMessageChunk);
      };
      writer.write({ type: 'start', messageId: `reply-${turn.messageId}` });
      /**
       * A turn that verified the visitor by a one-time code replaces the conversation's access token:
       * the new one goes to this client, the one it held stops working (it may have leaked while it
       * only opened an anonymous chat). Only the first request to see the verification rotates.
       */
      const handOverNewToken = async () => {
        const accessToken = await rotateVerifiedToken(
          context.database.pool,
          conversationId,
          conversationTokenTtlMs(context),
        );
        if (accessToken) writer.write({ type: 'data-access-token', data: { accessToken } });
      };
      /**
       * A resent message whose turn already ran (or was given up on and left to a person): the stored
       * replies again, never a second run. Checked after subscribing too: the turn's end is published
       * only once its row says done, so a turn finishing in between is either seen here or streamed.
       */
      const replayIfFinished = async (): Promise<boolean> => {
        const { rows } = await context.database.pool.query<{ turn_status: string | null }>(
          'SELECT turn_status FROM messages WHERE id = $1',
          [turn.messageId],
        );
        const status = rows[0]?.turn_status ?? 'done';
        if (status !== 'done' && status !== 'failed') return false;
        for (const stored of await repliesOfTurn(context.database.pool, conversationId, turn.messageId)) {
          const citations = (stored.metadata.citations ?? []) as CustomerMessage['citations'];
          write({ type: 'message', text: stored.body, citations });
        }
        writer.write({ type: 'data-status', data: { status } });
        return true;
      };
      if (
        !turn.created &&
        (turn.turnStatus === 'done' || turn.turnStatus === 'failed') &&
        (await replayIfFinished())
      )
        return handOverNewToken();
      await new Promise<void>((resolve) => {
        let unsubscribe: (() => Promise<void>) | null = null;
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          reply.raw.off('close', onClose);
          void unsubscribe?.();
          resolve();
        };
        const timer = setTimeout(() => {
          writer.write({ type: 'data-status', data: { status: 'processing' } });
          finish();
        }, context.settings.turnStreamTimeoutMs);
        const onClose = () => finish();
        reply.raw.on('close', onClose);
        const listener = (live: LiveEvent) => {
          if (live.kind !== 'turn' || live.turnId !== turn.messageId) return;
          write(live.event);
          if (live.event.type === 'turn-end') finish();
        };
        context.bus
          .subscribe(conversationChannel(conversationId), listener)
          .then(async (stop) => {
            unsubscribe = stop;
            if (finished) return void stop();
            if (!turn.created && (await replayIfFinished())) return finish();
            await context.jobs
              .enqueue('agent.turn', { conversationId }, { jobId: `turn-${turn.messageId}` })
              .catch((error: unknown) => {
                // The message is stored; the recovery sweep will queue its turn.
                reply.log.error(
                  { err: error, conversationId },
                  'queueing a turn failed; recovery will retry',
                );
                writer.write({ type: 'data-status', data: { status: 'queued' } });
                finish();
              });
          })
          .catch((error: unknown) => {
            reply.log.error({ err: error }, 'subscribing to turn events failed');
            writer.write({ type: 'data-status', data: { status: 'queued' } });
            finish();
          });
      });
      await handOverNewToken();
    },
  });
  // Headers set by hooks (security headers, rate-limit counters) go out with the hijacked response too.
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value as string);
  }
  reply.hijack();
  await pipeUIMessageStreamToResponse({ response: reply.raw, stream });
}
