import { createWorkerEmbedder } from '../worker-embedder.ts';

/**
 * A process that embeds one text in the worker thread and ends its main module (the shutdown test of
 * knowledge/worker-embedder.test.ts). `close`: terminates the thread first; `leave`: does not, and the
 * process must exit all the same (an idle thread is unreferenced).
 */
const mode = process.argv[2];
if (mode !== 'close' && mode !== 'leave') throw new Error('usage: embed-once.ts close|leave');
const embedder = createWorkerEmbedder();
const [vector] = await embedder.embed(['How do I reset my password?']);
process.stdout.write(`embedded ${vector!.length}\n`);
if (mode === 'close') await embedder.close();
