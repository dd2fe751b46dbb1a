import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * How far a running suite is: what the admin page shows while an `eval.run` job works
 * (`eval_runs.progress`, migration 0031). The job updates it after every scenario run; when the suite
 * runs in a child process (`npm run eval`), the child writes it to `progress.json` in its output
 * folder and the job copies it to the row.
 */
export const runProgressSchema = z.object({
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  /** Runs that ended in an error (counted in `failed` too). */
  errors: z.number().int().min(0),
  /** The scenario that finished last. */
  last: z.object({ id: z.string(), passed: z.boolean() }).nullable(),
  updatedAt: z.string(),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

export const progressFileName = 'progress.json';

/** Nothing done yet out of `total` runs. */
export function startProgress(total: number): RunProgress {
  return { done: 0, total, passed: 0, failed: 0, errors: 0, last: null, updatedAt: new Date().toISOString() };
}

/** The progress after one more finished run. */
export function advanceProgress(
  progress: RunProgress,
  result: { id: string; passed: boolean; error?: string | null },
  counts: { done: number; total: number },
): RunProgress {
  return {
    done: counts.done,
    total: counts.total,
    passed: progress.passed + (result.passed ? 1 : 0),
    failed: progress.failed + (result.passed ? 0 : 1),
    errors: progress.errors + (result.error ? 1 : 0),
    last: { id: result.id, passed: result.passed },
    updatedAt: new Date().toISOString(),
  };
}

/** Writes `progress.json` whole (a temporary file renamed over it: a reader never sees half of it). */
export async function writeProgressFile(folder: string, progress: RunProgress): Promise<void> {
  await mkdir(folder, { recursive: true });
  const target = path.join(folder, progressFileName);
  await writeFile(`${target}.tmp`, JSON.stringify(progress));
  await rename(`${target}.tmp`, target);
}

/** The progress a child process wrote, or null (not written yet, or not valid). */
export async function readProgressFile(folder: string): Promise<RunProgress | null> {
  const text = await readFile(path.join(folder, progressFileName), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const parsed = runProgressSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
