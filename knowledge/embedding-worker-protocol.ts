import { z } from 'zod';

/**
 * Messages between `worker-embedder.ts` and its thread (`embedding-worker.ts`). Both sides parse what
 * they receive: a message of another shape is a bug, reported as an error rather than a hang.
 */
export const workerRequestSchema = z.object({
  type: z.literal('embed'),
  id: z.number().int().nonnegative(),
  texts: z.array(z.string()).min(1),
});
export type WorkerRequest = z.infer<typeof workerRequestSchema>;

/** Vectors travel as one flat Float32Array (moved, not copied): the model computes in float32 anyway. */
export const workerResponseSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('vectors'),
    id: z.number().int().nonnegative(),
    dimensions: z.number().int().positive(),
    data: z.instanceof(Float32Array),
  }),
  z.object({ type: z.literal('error'), id: z.number().int().nonnegative(), message: z.string() }),
  /** Sent once the model is loaded, so a request's timeout does not include the load. */
  z.object({ type: z.literal('ready') }),
]);
export type WorkerResponse = z.infer<typeof workerResponseSchema>;
