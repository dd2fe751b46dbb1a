import { Worker, type WorkerOptions } from 'node:worker_threads';
import { assertEmbeddings, type Embedder } from './embedder.ts';
import { type WorkerRequest, workerResponseSchema } from './embedding-worker-protocol.ts';
import { EmbeddingWorkerError } from './errors.ts';
import { localDimensions, localModelId } from './local-embedder.ts';

/** Options of the worker-thread embedder. */
export interface WorkerEmbedderOptions {
  /** Texts per message to the thread: how long an urgent request may wait behind bulk work (default 16). */
  batchSize?: number;
  /** A message not answered in this time (or a load not done) kills the thread (default 120 s). */
  timeoutMs?: number;
  /** Starts the thread (tests keep a handle to kill it); default `new Worker(url, options)`. */
  spawn?: (url: URL, options: WorkerOptions) => Worker;
}

/** The local model in a worker thread: bulk `embed` for ingestion, `urgent` for a customer's query. */
export interface WorkerEmbedder extends Embedder {
  /** The same model, served before any queued bulk batch. */
  readonly urgent: Embedder;
  /** Threads started after a crash or timeout. */
  readonly restarts: number;
  /** Fails what is queued and terminates the thread. */
  close(): Promise<void>;
}

interface Job {
  texts: string[];
  urgent: boolean;
  resolve(vectors: number[][]): void;
  reject(error: Error): void;
}

const workerUrl = new URL('./embedding-worker.ts', import.meta.url);

/**
 * Runs the Universal Sentence Encoder lite in one reusable `node:worker_threads` thread, so indexing
 * never blocks the event loop (docs/knowledge.md, "Ingestion"). One message is in flight at a time;
 * bulk calls are split into `batchSize` messages and an urgent call goes before the next one. A crash,
 * an exit or a timeout fails the message in flight with `EmbeddingWorkerError` and the queue goes on
 * in a fresh thread — unless the thread died before its model loaded, which would only repeat, so
 * then everything queued fails. The thread is unreferenced while idle: it never keeps a process alive.
 */
export function createWorkerEmbedder(options: WorkerEmbedderOptions = {}): WorkerEmbedder {
  const batchSize = options.batchSize ?? 16;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const spawn = options.spawn ?? ((url, workerOptions) => new Worker(url, workerOptions));
  const queue: Job[] = [];
  let worker: Worker | null = null;
  let ready = false;
  let inFlight: (Job & { id: number }) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let nextId = 1;
  let restarts = 0;
  let closed = false;

  const arm = (what: string) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const current = worker;
      fail(current, new EmbeddingWorkerError(`the embedding worker did not ${what} within ${timeoutMs} ms`));
      void current?.terminate();
    }, timeoutMs);
    timer.unref();
  };

  function start(): Worker {
    const started = spawn(workerUrl, {});
    worker = started;
    ready = false;
    started.on('message', (message: unknown) => receive(started, message));
    started.on('error', (error) =>
      fail(
        started,
        new EmbeddingWorkerError(`the embedding worker crashed: ${error.message}`, { cause: error }),
      ),
    );
    started.on('exit', (code) =>
      fail(started, new EmbeddingWorkerError(`the embedding worker exited (code ${code})`)),
    );
    arm('load the model');
    return started;
  }

  function receive(from: Worker, raw: unknown) {
    if (from !== worker) return;
    const parsed = workerResponseSchema.safeParse(raw);
    if (!parsed.success) {
      fail(
        from,
        new EmbeddingWorkerError(`the embedding worker sent an invalid message: ${parsed.error.message}`),
      );
      void from.terminate();
      return;
    }
    const message = parsed.data;
    if (message.type === 'ready') {
      ready = true;
      if (timer) clearTimeout(timer);
      pump();
      return;
    }
    const job = inFlight;
    if (!job || job.id !== message.id) return;
    inFlight = null;
    if (timer) clearTimeout(timer);
    if (message.type === 'error')
      job.reject(new EmbeddingWorkerError(`the embedding worker failed: ${message.message}`));
    else {
      try {
        const vectors: number[][] = [];
        for (let start = 0; start < message.data.length; start += message.dimensions)
          vectors.push(Array.from(message.data.subarray(start, start + message.dimensions)));
        job.resolve(assertEmbeddings(embedder, job.texts, vectors));
      } catch (error) {
        job.reject(error as Error);
      }
    }
    pump();
  }

  function fail(from: Worker | null, error: EmbeddingWorkerError) {
    if (from === null || from !== worker) return;
    const loaded = ready;
    worker = null;
    ready = false;
    if (timer) clearTimeout(timer);
    from.removeAllListeners('message');
    restarts += 1;
    inFlight?.reject(error);
    inFlight = null;
    // A thread that cannot even load the model would fail the same way again.
    if (!loaded) for (const job of queue.splice(0)) job.reject(error);
    pump();
  }

  function pump() {
    if (closed) return;
    if (queue.length === 0 && !inFlight) {
      worker?.unref();
      return;
    }
    const current = worker ?? start();
    // Referenced while there is work: a CLI awaiting vectors must not exit under it.
    current.ref();
    if (!ready || inFlight || queue.length === 0) return;
    const job = queue.shift()!;
    inFlight = { ...job, id: nextId++ };
    const request: WorkerRequest = { type: 'embed', id: inFlight.id, texts: job.texts };
    current.postMessage(request);
    arm('answer');
  }

  function submit(texts: string[], urgent: boolean): Promise<number[][]> {
    if (closed) return Promise.reject(new EmbeddingWorkerError('the embedding worker is closed'));
    return new Promise((resolve, reject) => {
      const job: Job = { texts, urgent, resolve, reject };
      // Urgent work goes after other urgent work and before every bulk batch.
      const position = urgent ? queue.findIndex((queued) => !queued.urgent) : -1;
      if (position === -1) queue.push(job);
      else queue.splice(position, 0, job);
      pump();
    });
  }

  async function embedAll(texts: string[], urgent: boolean): Promise<number[][]> {
    if (texts.length === 0) return [];
    const batches: Array<Promise<number[][]>> = [];
    for (let start = 0; start < texts.length; start += batchSize)
      batches.push(submit(texts.slice(start, start + batchSize), urgent));
    return (await Promise.all(batches)).flat();
  }

  const embedder: WorkerEmbedder = {
    model: localModelId,
    dimensions: localDimensions,
    embed: (texts) => embedAll(texts, false),
    urgent: { model: localModelId, dimensions: localDimensions, embed: (texts) => embedAll(texts, true) },
    get restarts() {
      return restarts;
    },
    async close() {
      closed = true;
      const error = new EmbeddingWorkerError('the embedding worker is closed');
      for (const job of queue.splice(0)) job.reject(error);
      inFlight?.reject(error);
      inFlight = null;
      if (timer) clearTimeout(timer);
      const current = worker;
      worker = null;
      if (current) {
        current.removeAllListeners();
        await current.terminate();
      }
    },
  };
  return embedder;
}

let shared: WorkerEmbedder | null = null;

/** The process-wide worker-thread embedder: ingestion in a serving process shares one thread. */
export function sharedWorkerEmbedder(): WorkerEmbedder {
  shared ??= createWorkerEmbedder();
  return shared;
}

/** Terminates the shared thread (entry points' shutdown); a later `sharedWorkerEmbedder()` starts anew. */
export async function closeSharedWorkerEmbedder(): Promise<void> {
  const closing = shared;
  shared = null;
  await closing?.close();
}
