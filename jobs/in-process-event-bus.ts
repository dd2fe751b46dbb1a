import { EventEmitter } from 'node:events';
import type { EventBus, LiveEvent } from '../conversations/live-events.ts';

/** Called with a listener's error so one broken subscriber never breaks a publish. */
export type ListenerErrorReporter = (error: unknown, channel: string) => void;

/**
 * The embedded event bus: live events fan out inside this process only (one API server, the
 * in-process job runner). Listener errors are reported and swallowed, so a broken subscriber (a
 * closed SSE stream) never fails the publisher (an agent turn).
 */
export function createInProcessEventBus(options: { onListenerError?: ListenerErrorReporter } = {}): EventBus {
  const emitter = new EventEmitter();
  // Every open SSE stream is a listener: the default limit of 10 would print a leak warning.
  emitter.setMaxListeners(0);
  let closed = false;

  return {
    async publish(channel: string, event: LiveEvent) {
      if (closed) return;
      for (const listener of emitter.listeners(channel) as Array<(event: LiveEvent) => void>) {
        try {
          listener(event);
        } catch (error) {
          options.onListenerError?.(error, channel);
        }
      }
    },

    async subscribe(channel: string, listener: (event: LiveEvent) => void) {
      // Wrapped so the same function can subscribe twice and unsubscribe each time on its own.
      const wrapped = (event: LiveEvent) => listener(event);
      emitter.on(channel, wrapped);
      return async () => {
        emitter.off(channel, wrapped);
      };
    },

    async close() {
      closed = true;
      emitter.removeAllListeners();
    },
  };
}
