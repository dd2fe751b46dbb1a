import { describe, expect, it } from 'vitest';
import { consoleChannel, conversationChannel, type LiveEvent } from '../conversations/live-events.ts';
import { createInProcessEventBus } from './in-process-event-bus.ts';

const statusEvent = (conversationId: string): LiveEvent => ({
  kind: 'status',
  conversationId,
  status: 'open',
});

describe('createInProcessEventBus', () => {
  it('delivers an event to every subscriber of its channel and to no other channel', async () => {
    const bus = createInProcessEventBus();
    const first: LiveEvent[] = [];
    const second: LiveEvent[] = [];
    const console: LiveEvent[] = [];
    await bus.subscribe(conversationChannel('c1'), (event) => first.push(event));
    await bus.subscribe(conversationChannel('c1'), (event) => second.push(event));
    await bus.subscribe(consoleChannel, (event) => console.push(event));
    await bus.publish(conversationChannel('c1'), statusEvent('c1'));
    expect(first).toEqual([statusEvent('c1')]);
    expect(second).toEqual([statusEvent('c1')]);
    expect(console).toEqual([]);
    await bus.close();
  });

  it('stops delivering after unsubscribe', async () => {
    const bus = createInProcessEventBus();
    const received: LiveEvent[] = [];
    const unsubscribe = await bus.subscribe(consoleChannel, (event) => received.push(event));
    await bus.publish(consoleChannel, statusEvent('c1'));
    await unsubscribe();
    await bus.publish(consoleChannel, statusEvent('c2'));
    expect(received).toEqual([statusEvent('c1')]);
    await bus.close();
  });

  it('keeps publishing to the other listeners when one throws, and reports the error', async () => {
    const errors: unknown[] = [];
    const bus = createInProcessEventBus({ onListenerError: (error) => errors.push(error) });
    const received: LiveEvent[] = [];
    await bus.subscribe(consoleChannel, () => {
      throw new Error('stream closed');
    });
    await bus.subscribe(consoleChannel, (event) => received.push(event));
    await expect(bus.publish(consoleChannel, statusEvent('c1'))).resolves.toBeUndefined();
    expect(received).toEqual([statusEvent('c1')]);
    expect(errors).toHaveLength(1);
    await bus.close();
  });

  it('subscribes the same function twice independently', async () => {
    const bus = createInProcessEventBus();
    const received: LiveEvent[] = [];
    const listener = (event: LiveEvent) => received.push(event);
    const unsubscribeFirst = await bus.subscribe(consoleChannel, listener);
    await bus.subscribe(consoleChannel, listener);
    await unsubscribeFirst();
    await bus.publish(consoleChannel, statusEvent('c1'));
    expect(received).toHaveLength(1);
    await bus.close();
  });
});
