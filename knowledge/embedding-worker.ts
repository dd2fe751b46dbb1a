import { parentPort } from 'node:worker_threads';
import { type WorkerResponse, workerRequestSchema } from './embedding-worker-protocol.ts';
import { createLocalEmbedder, localDimensions } from './local-embedder.ts';

/**
 * The embedding thread of `worker-embedder.ts`: the Universal Sentence Encoder runs here, so its
 * CPU-bound forward passes never hold the server's event loop (docs/knowledge.md, "Ingestion").
 * Requests come one at a time (the parent keeps the queue and its priorities).
 */
if (!parentPort) throw new Error('knowledge/embedding-worker.ts runs only as a worker thread');
const port = parentPort;
const embedder = createLocalEmbedder();
const send = (message: WorkerResponse, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

port.on('message', async (message: unknown) => {
  const parsed = workerRequestSchema.safeParse(message);
  if (!parsed.success) {
    const id = typeof (message as { id?: unknown })?.id === 'number' ? (message as { id: number }).id : 0;
    send({ type: 'error', id, message: `invalid request to the embedding worker: ${parsed.error.message}` });
    return;
  }
  const { id, texts } = parsed.data;
  try {
    const vectors = await embedder.embed(texts);
    const data = new Float32Array(vectors.length * localDimensions);
    for (const [index, vector] of vectors.entries()) data.set(vector, index * localDimensions);
    send({ type: 'vectors', id, dimensions: localDimensions, data }, [data.buffer]);
  } catch (error) {
    send({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
  }
});

// Load the weights at once: the first request then costs a forward pass, not the load.
await embedder.embed(['warm up']);
send({ type: 'ready' });
