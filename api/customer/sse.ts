import type { FastifyReply, FastifyRequest } from 'fastify';

/** Opens a server-sent events response on a hijacked reply; returns a writer and a close hook. */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { heartbeatMs?: number } = {},
): {
  send(event: string, data: unknown, id?: string): void;
  onClose(listener: () => void): void;
} {
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value as string);
  }
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies (nginx) must not buffer the stream.
    'x-accel-buffering': 'no',
  });
  // Tells EventSource how long to wait before reconnecting.
  reply.raw.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => reply.raw.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
  const listeners: Array<() => void> = [];
  request.raw.on('close', () => {
    clearInterval(heartbeat);
    for (const listener of listeners) listener();
  });
  return {
    send(event, data, id) {
      reply.raw.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(listener) {
      listeners.push(listener);
    },
  };
}
