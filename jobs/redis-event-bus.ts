import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EventBus, LiveEvent } from '../conversations/live-events.ts';

/** Options of the Redis pub/sub event bus. */
export interface RedisEventBusOptions {
  url: string;
  /** Prepended to every channel, so deployments (and test files) sharing a Redis never cross. */
  prefix?: string;
  logger?: Logger;
}

/**
 * Live events over Redis pub/sub, so an event published by a worker reaches the SSE streams of every
 * API server. One connection publishes and one subscribes; each Redis channel is subscribed once and
 * fanned out to this process's listeners. Pub/sub is fire-and-forget: a subscriber that is offline
 * misses events (streams reload state on reconnect; stored messages are the source of truth).
 */
export function createRedisEventBus(options: RedisEventBusOptions): EventBus {
  const prefix = options.prefix ?? 'switchboard';
  const publisher = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const subscriber = new Redis(options.url, { lazyConnect: true });
  const listeners = new Map<string, Set<(event: LiveEvent) => void>>();
  /** The Redis SUBSCRIBE of each channel, so concurrent subscribers all wait until it is in place. */
  const subscriptions = new Map<string, Promise<unknown>>();
  const redisChannel = (channel: string) => `${prefix}:events:${channel}`;
  const channelOf = (name: string) => name.slice(`${prefix}:events:`.length);
  let closed = false;

  subscriber.on('message', (name: string, message: string) => {
    const channelListeners = listeners.get(channelOf(name));
    if (!channelListeners) return;
    let event: LiveEvent;
    try {
      event = JSON.parse(message) as LiveEvent;
    } catch (error) {
      options.logger?.warn({ err: error, channel: name }, 'malformed live event ignored');
      return;
    }
    for (const listener of [...channelListeners]) {
      try {
        listener(event);
      } catch (error) {
        // A broken subscriber (a closed SSE stream) must not starve the others.
        options.logger?.warn({ err: error, channel: name }, 'live event listener failed');
      }
    }
  });
  for (const connection of [publisher, subscriber]) {
    connection.on('error', (error) => options.logger?.warn({ err: error }, 'event bus redis error'));
  }

  const connect = async (connection: Redis) => {
    if (connection.status === 'wait') await connection.connect();
  };

  return {
    async publish(channel, event) {
      if (closed) return;
      await connect(publisher);
      await publisher.publish(redisChannel(channel), JSON.stringify(event));
    },

    async subscribe(channel, listener) {
      if (closed) throw new Error('event bus is closed');
      // Wrapped so the same function can subscribe twice and unsubscribe each time on its own.
      const wrapped = (event: LiveEvent) => listener(event);
      let channelListeners = listeners.get(channel);
      if (!channelListeners) {
        channelListeners = new Set();
        listeners.set(channel, channelListeners);
        subscriptions.set(
          channel,
          connect(subscriber).then(() => subscriber.subscribe(redisChannel(channel))),
        );
      }
      channelListeners.add(wrapped);
      await subscriptions.get(channel);
      return async () => {
        const current = listeners.get(channel);
        if (!current?.delete(wrapped) || current.size > 0) return;
        listeners.delete(channel);
        subscriptions.delete(channel);
        if (!closed) await subscriber.unsubscribe(redisChannel(channel));
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await Promise.allSettled(
        [publisher, subscriber].map((connection) =>
          connection.status === 'wait' ? connection.disconnect() : connection.quit(),
        ),
      );
    },
  };
}
