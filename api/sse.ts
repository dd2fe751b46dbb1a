import type { FastifyReply, FastifyRequest } from 'fastify';

/** How often an idle stream sends a comment, so proxies and browsers keep it open. */
export const heartbeatMs = 15_000;

export interface EventStream {
  /** One server-sent event: `id:` (for Last-Event-ID), `event:` and the JSON data. */
  send(event: string, data: unknown, id?: string): void;
  /** Called once when the stream ends (the client went away, or `close()`). */
  onClose(listener: () => void): void;
  close(): void;
}

/**
 * Opens a server-sent events response on a hijacked reply: the hooks' headers (security, rate
 * limits) go out too, a heartbeat keeps it open, and `streams` (when given) holds a closer for each
 * open stream so the server can end them on shutdown instead of waiting for the clients.
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { streams?: Set<() => void> } = {},
): EventStream {
  const raw = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) raw.setHeader(name, value as string);
  }
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies (nginx) must not buffer the stream.
    'x-accel-buffering': 'no',
  });
  // Tells EventSource how long to wait before reconnecting.
  raw.write('retry: 2000\n: connected\n\n');
  const heartbeat = setInterval(() => {
    if (!raw.writableEnded) raw.write(': heartbeat\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  const listeners: Array<() => void> = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    options.streams?.delete(close);
    for (const listener of listeners) listener();
    if (!raw.writableEnded) raw.end();
  };
  options.streams?.add(close);
  request.raw.on('close', close);
  raw.on('close', close);
  raw.on('error', close);
  return {
    send(event, data, id) {
      if (raw.writableEnded) return;
      raw.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(listener) {
      listeners.push(listener);
    },
    close,
  };
}
