import type { FastifyReply, FastifyRequest } from 'fastify';
import { consoleChannel, type EventBus, type LiveEvent } from '../../jobs/live-events.ts';

/** How often an idle stream sends a comment, so proxies and browsers keep it open. */
export const heartbeatMs = 15_000;

/** One server-sent event: `event: <kind>` and the JSON event as data. */
export function formatServerSentEvent(event: LiveEvent): string {
  return `event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Streams the console channel to one signed-in human until the client goes away (or the server
 * closes: `streams` holds a closer for each open stream).
 */
export async function openConsoleEventStream(
  bus: EventBus,
  request: FastifyRequest,
  reply: FastifyReply,
  streams: Set<() => void>,
): Promise<void> {
  const raw = reply.raw;
  // Subscribed before the headers go out: a client that saw the response misses nothing published after.
  const unsubscribe = await bus.subscribe(consoleChannel, (event) => {
    if (!raw.writableEnded) raw.write(formatServerSentEvent(event));
  });
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 3000\n: connected\n\n');
  const heartbeat = setInterval(() => {
    if (!raw.writableEnded) raw.write(': heartbeat\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    streams.delete(close);
    unsubscribe().catch((error: unknown) =>
      request.log.warn({ err: error }, 'console events: unsubscribe failed'),
    );
    if (!raw.writableEnded) raw.end();
  };
  streams.add(close);
  request.raw.on('close', close);
  raw.on('close', close);
  raw.on('error', close);
}
