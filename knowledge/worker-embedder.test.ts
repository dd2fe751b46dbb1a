import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddingWorkerError } from './errors.ts';
import { createLocalEmbedder } from './local-embedder.ts';
import { createWorkerEmbedder, type WorkerEmbedder } from './worker-embedder.ts';

const texts = [
  'How do I reset my password?',
  'Lumen Cloud: API rate limits are counted per workspace and per minute.',
  'Invoices are emailed on the first day of each billing period.',
  'You can export dashboards to PDF or CSV from the share menu.',
  '',
];
const cosine = (a: number[], b: number[]) =>
  a.reduce((sum, value, index) => sum + value * b[index]!, 0) / (Math.hypot(...a) * Math.hypot(...b));

const open: WorkerEmbedder[] = [];
const track = (embedder: WorkerEmbedder) => {
  open.push(embedder);
  return embedder;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((embedder) => embedder.close()));
});

describe('the worker-thread embedder', () => {
  it('gives the vectors of the in-thread model, in order, across several messages', async () => {
    const worker = track(createWorkerEmbedder({ batchSize: 2 }));
    const [threaded, inline] = await Promise.all([worker.embed(texts), createLocalEmbedder().embed(texts)]);
    expect(threaded).toHaveLength(texts.length);
    for (const [index, vector] of threaded.entries()) {
      expect(vector).toHaveLength(512);
      expect(cosine(vector, inline[index]!)).toBeGreaterThanOrEqual(0.999);
    }
    // Distinct texts stay distinct: the order was kept, not one vector repeated.
    expect(cosine(threaded[0]!, threaded[1]!)).toBeLessThan(0.9);
    expect(await worker.urgent.embed([texts[0]!])).toEqual([threaded[0]]);
  });

  it('serves an urgent request before bulk batches queued earlier', async () => {
    const worker = track(createWorkerEmbedder({ batchSize: 4 }));
    await worker.embed(['warm']);
    const finished: string[] = [];
    const bulk = worker
      .embed(Array.from({ length: 48 }, (_, index) => `Bulk sentence number ${index} about invoices.`))
      .then(() => finished.push('bulk'));
    const urgent = worker.urgent.embed(['where is my invoice']).then(() => finished.push('urgent'));
    await Promise.all([bulk, urgent]);
    expect(finished).toEqual(['urgent', 'bulk']);
  });

  it('reports a crash of the thread on the request in flight and serves the next ones on a new thread', async () => {
    const threads: Worker[] = [];
    const worker = track(
      createWorkerEmbedder({
        batchSize: 2,
        spawn: (url, options) => {
          const thread = new Worker(url, options);
          threads.push(thread);
          return thread;
        },
      }),
    );
    await worker.embed(['warm']);
    const inFlight = worker.embed(texts.slice(0, 2));
    const queued = worker.embed(texts.slice(2, 4));
    await threads[0]!.terminate();
    const crash = await inFlight.catch((error: unknown) => error);
    expect(crash).toBeInstanceOf(EmbeddingWorkerError);
    expect((crash as Error).message).toMatch(/the embedding worker exited/);
    // The queued request ran on a fresh thread, and later ones do too.
    expect(await queued).toHaveLength(2);
    expect(await worker.embed([texts[0]!])).toHaveLength(1);
    expect(threads).toHaveLength(2);
    expect(worker.restarts).toBe(1);
  });

  it('fails everything queued, without hanging, when the thread cannot load the model', async () => {
    const worker = track(
      createWorkerEmbedder({
        // A real crash: the thread runs out of its heap while loading the weights.
        spawn: (url, options) =>
          new Worker(url, { ...options, resourceLimits: { maxOldGenerationSizeMb: 4 } }),
      }),
    );
    const results = await Promise.allSettled([worker.embed(['one']), worker.urgent.embed(['two'])]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(EmbeddingWorkerError);
    }
  });

  it('fails a request that outlives its timeout and kills the thread', async () => {
    const worker = track(createWorkerEmbedder({ timeoutMs: 30 }));
    await expect(worker.embed(['slow'])).rejects.toThrow(/did not load the model within 30 ms/);
    expect(worker.restarts).toBe(1);
  });

  it('refuses work after close', async () => {
    const worker = createWorkerEmbedder();
    await worker.embed(['one']);
    await worker.close();
    await expect(worker.embed(['two'])).rejects.toThrow(/closed/);
  });
});

describe('shutdown', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const run = (mode: 'close' | 'leave') =>
    new Promise<{ code: number | null; output: string; ms: number }>((resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, ['--import', tsx, 'knowledge/testing/embed-once.ts', mode], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (data) => (output += data));
      child.stderr.on('data', (data) => (output += data));
      const killer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the process did not exit within 30 s: ${output}`));
      }, 30_000);
      child.on('exit', (code) => {
        clearTimeout(killer);
        resolve({ code, output, ms: performance.now() - started });
      });
    });

  it.each(['close', 'leave'] as const)('a process whose embedding is done exits (%s)', async (mode) => {
    const { code, output } = await run(mode);
    expect(output).toContain('embedded 512');
    expect(code).toBe(0);
  });
});
