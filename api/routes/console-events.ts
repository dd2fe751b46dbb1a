import type { FastifyReply, FastifyRequest } from 'fastify';
import { consoleChannel, type EventBus, type LiveEvent } from '../../conversations/live-events.ts';
import { type ConsoleEvent, consoleEventKinds } from '../contract/events.ts';
import { type EventStream, openEventStream } from '../sse.ts';

/** The events of the console stream's contract (`consoleEventSchema`); nothing else reaches a browser. */
const isConsoleEvent = (event: LiveEvent): event is Extract<LiveEvent, ConsoleEvent> =>
  (consoleEventKinds as readonly string[]).includes(event.kind);

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
  let stream: EventStream | null = null;
  // Subscribed before the headers go out: a client that saw the response misses nothing published after.
  const unsubscribe = await bus.subscribe(consoleChannel, (event) => {
    if (isConsoleEvent(event)) stream?.send(event.kind, event satisfies ConsoleEvent);
  });
  stream = openEventStream(request, reply, { streams });
  stream.onClose(() => {
    unsubscribe().catch((error: unknown) =>
      request.log.warn({ err: error }, 'console events: unsubscribe failed'),
    );
  });
}
