import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBus, LiveEvent } from '../conversations/live-events.ts';
import { consoleChannel, conversationChannel } from '../conversations/live-events.ts';
import { createRedisEventBus } from './redis-event-bus.ts';

const redisUrl = 'redis://127.0.0.1:6379';
const statusEvent = (conversationId: string): LiveEvent => ({
  kind: 'status',
  conversationId,
  status: 'open',
});

/** Resolves once `received` has `count` events (pub/sub is asynchronous across connections). */
async function until(received: unknown[], count: number): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('createRedisEventBus', () => {
  const buses: EventBus[] = [];
  const bus = (prefix: string) => {
    const created = createRedisEventBus({ url: redisUrl, prefix });
    buses.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((created) => created.close()));
  });

  it('delivers an event published by one process to every subscriber of another', async () => {
    const prefix = `test-bus-${randomUUID()}`;
    const worker = bus(prefix);
    const apiServer = bus(prefix);
    const first: LiveEvent[] = [];
    const second: LiveEvent[] = [];
    const other: LiveEvent[] = [];
    await apiServer.subscribe(conversationChannel('c1'), (event) => first.push(event));
    await apiServer.subscribe(conversationChannel('c1'), (event) => second.push(event));
    await apiServer.subscribe(consoleChannel, (event) => other.push(event));
    await worker.publish(conversationChannel('c1'), statusEvent('c1'));
    await until(first, 1);
    await until(second, 1);
    expect(first).toEqual([statusEvent('c1')]);
    expect(second).toEqual([statusEvent('c1')]);
    expect(other).toEqual([]);
  });

  it('never crosses prefixes, and stops delivering after unsubscribe', async () => {
    const prefix = `test-bus-${randomUUID()}`;
    const publisher = bus(prefix);
    const stranger = bus(`test-bus-${randomUUID()}`);
    const subscriber = bus(prefix);
    const received: LiveEvent[] = [];
    const foreign: LiveEvent[] = [];
    await stranger.subscribe(consoleChannel, (event) => foreign.push(event));
    const unsubscribe = await subscriber.subscribe(consoleChannel, (event) => received.push(event));
    await publisher.publish(consoleChannel, statusEvent('c1'));
    await until(received, 1);
    await unsubscribe();
    await publisher.publish(consoleChannel, statusEvent('c2'));
    // A marker on a still-subscribed channel proves the second event had time to arrive.
    const marker: LiveEvent[] = [];
    await subscriber.subscribe(conversationChannel('marker'), (event) => marker.push(event));
    await publisher.publish(conversationChannel('marker'), statusEvent('marker'));
    await until(marker, 1);
    expect(received).toEqual([statusEvent('c1')]);
    expect(foreign).toEqual([]);
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const prefix = `test-bus-${randomUUID()}`;
    const publisher = bus(prefix);
    const subscriber = bus(prefix);
    const received: LiveEvent[] = [];
    await subscriber.subscribe(consoleChannel, () => {
      throw new Error('stream closed');
    });
    await subscriber.subscribe(consoleChannel, (event) => received.push(event));
    await publisher.publish(consoleChannel, statusEvent('c1'));
    await until(received, 1);
    expect(received).toEqual([statusEvent('c1')]);
  });
});
