import Fastify from 'fastify';

/**
 * The ceiling of the API benchmark: a plain Fastify hello-world (no logging, no plugins) on the same
 * machine. Prints `hello listening on <url>` once it accepts connections.
 */
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`hello listening on ${address}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
