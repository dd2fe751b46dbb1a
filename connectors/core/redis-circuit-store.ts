import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import {
  type SharedCircuitChange,
  type SharedCircuitStore,
  sharedCircuitChangeSchema,
  sharedCircuitRecordSchema,
} from './shared-circuit.ts';

/** Options of the Redis-backed shared circuit state. */
export interface RedisCircuitStoreOptions {
  url: string;
  /** Prepended to every key and channel (`REDIS_PREFIX`), so deployments sharing a Redis never cross. */
  prefix?: string;
  /** A command not answered within this fails (the call then uses its own breaker). Default 250 ms. */
  commandTimeoutMs?: number;
  /** How long the first connection may take before commands fail. Default 2 s. */
  connectTimeoutMs?: number;
}

/** The Redis store plus its lifecycle. */
export interface RedisCircuitStore extends SharedCircuitStore {
  /** Closes both connections (graceful shutdown). */
  dispose(): Promise<void>;
}

const messageSchema = z.object({ origin: z.string(), change: sharedCircuitChangeSchema });

// Deletes the trial lease only if this token still holds it (a lease that ran out may be another's).
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * The shared circuit state on Redis (docs/connectors-core.md, "Shared breaker state"):
 * `<prefix>:breaker:<connector>` holds `{openUntil, reason}` with a TTL of the half-open delay,
 * `<prefix>:breaker:<connector>:trial` the one trial call's lease (`SET NX PX`), and changes are
 * published on `<prefix>:breaker` for the other processes.
 *
 * It sits on every connector call's path, so it never waits for Redis: no offline queue (a command
 * while disconnected fails at once), a short command timeout, and a failed command is the caller's
 * cue to use its own breaker. Only the first connection is waited for (at most `connectTimeoutMs`).
 */
export function createRedisCircuitStore(options: RedisCircuitStoreOptions): RedisCircuitStore {
  const prefix = options.prefix ?? 'switchboard';
  const origin = randomUUID();
  const connection = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 250,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    lazyConnect: true,
  };
  const commands = new Redis(options.url, connection);
  // The subscriber's SUBSCRIBE waits for a connection however long Redis is away (it is off the call
  // path), and ioredis subscribes again after a reconnect.
  const subscriber = new Redis(options.url, {
    lazyConnect: true,
    connectTimeout: connection.connectTimeout,
    maxRetriesPerRequest: null,
  });
  // Errors surface as failed commands (logged once by the caller); an unhandled 'error' event would crash.
  for (const client of [commands, subscriber]) client.on('error', () => {});
  const firstConnect = commands.connect().catch(() => undefined);
  const recordKey = (connectorId: string) => `${prefix}:breaker:${connectorId}`;
  const trialKey = (connectorId: string) => `${prefix}:breaker:${connectorId}:trial`;
  const channel = `${prefix}:breaker`;
  const listeners = new Set<(change: SharedCircuitChange) => void>();
  let subscribed: Promise<unknown> | null = null;
  let closed = false;

  const ready = async (): Promise<Redis> => {
    await firstConnect;
    if (closed) throw new Error('shared circuit store is closed');
    return commands;
  };
  const message = (change: SharedCircuitChange) => JSON.stringify({ origin, change });

  subscriber.on('message', (_channel: string, text: string) => {
    let parsed: z.infer<typeof messageSchema>;
    try {
      parsed = messageSchema.parse(JSON.parse(text));
    } catch {
      return; // not ours to act on: a malformed message changes nothing
    }
    if (parsed.origin === origin) return;
    for (const listener of [...listeners]) listener(parsed.change);
  });

  return {
    async read(connectorId) {
      const redis = await ready();
      const text = await redis.get(recordKey(connectorId));
      if (text === null) return null;
      const parsed = sharedCircuitRecordSchema.safeParse(safeJson(text));
      // A value that is not a record (another version, a hand edit) says nothing: ignore it.
      return parsed.success ? parsed.data : null;
    },
    async open(connectorId, record, ttlMs) {
      const redis = await ready();
      await redis
        .multi()
        .set(recordKey(connectorId), JSON.stringify(record), 'PX', Math.max(1, Math.round(ttlMs)))
        .del(trialKey(connectorId))
        .publish(channel, message({ connectorId, change: 'open', record }))
        .exec();
    },
    async takeTrial(connectorId, leaseMs) {
      const redis = await ready();
      const token = randomUUID();
      const taken = await redis.set(
        trialKey(connectorId),
        token,
        'PX',
        Math.max(1, Math.round(leaseMs)),
        'NX',
      );
      return taken === 'OK' ? token : null;
    },
    async releaseTrial(connectorId, token) {
      const redis = await ready();
      await redis.eval(releaseScript, 1, trialKey(connectorId), token);
    },
    async subscribe(listener) {
      listeners.add(listener);
      subscribed ??= subscriber.subscribe(channel).catch((error: unknown) => {
        subscribed = null;
        throw error;
      });
      await subscribed;
      return async () => {
        listeners.delete(listener);
      };
    },
    async close(connectorId) {
      const redis = await ready();
      await redis
        .multi()
        .del(recordKey(connectorId), trialKey(connectorId))
        .publish(channel, message({ connectorId, change: 'closed' }))
        .exec();
    },
    async dispose() {
      if (closed) return;
      closed = true;
      listeners.clear();
      // QUIT on a connection that is not up would wait in its queue for a Redis that may never come.
      await Promise.allSettled(
        [commands, subscriber].map((client) =>
          client.status === 'ready' ? client.quit() : client.disconnect(),
        ),
      );
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
