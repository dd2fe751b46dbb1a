import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ComparableResult, compareRuns } from './compare-runs.ts';
import { advanceProgress, readProgressFile, startProgress, writeProgressFile } from './run-progress.ts';

const result = (id: string, passed: boolean, extra: Partial<ComparableResult> = {}): ComparableResult => ({
  id,
  title: id,
  baseline: 'none',
  run: 0,
  passed,
  actualOutcome: passed ? 'resolved' : 'escalated',
  harmful: [],
  error: null,
  ...extra,
});

describe('compareRuns', () => {
  it('matches by scenario, baseline and repetition', () => {
    const comparison = compareRuns(
      [result('a', true), result('a', true, { run: 1 }), result('a', true, { baseline: 'kb-only' })],
      [result('a', true), result('a', false, { run: 1 }), result('a', true, { baseline: 'kb-only' })],
    );
    expect(comparison.changes).toEqual([
      expect.objectContaining({ id: 'a', run: 1, baseline: 'none', change: 'broken' }),
    ]);
    expect(comparison.unchanged).toBe(2);
  });

  it('an error with the same verdict is a change', () => {
    const comparison = compareRuns([result('a', false)], [result('a', false, { error: 'timeout' })]);
    expect(comparison.counts.changed).toBe(1);
  });

  it('two identical runs: nothing changed', () => {
    const runs = [result('a', true), result('b', false)];
    expect(compareRuns(runs, runs)).toMatchObject({ changes: [], unchanged: 2 });
  });
});

describe('progress file', () => {
  it('round-trips, counts passes, failures and errors, and ignores a torn or foreign file', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'progress-'));
    try {
      expect(await readProgressFile(folder)).toBeNull();
      let progress = startProgress(3);
      progress = advanceProgress(progress, { id: 'x', passed: true }, { done: 1, total: 3 });
      progress = advanceProgress(progress, { id: 'y', passed: false, error: 'boom' }, { done: 2, total: 3 });
      await writeProgressFile(folder, progress);
      expect(await readProgressFile(folder)).toMatchObject({
        done: 2,
        total: 3,
        passed: 1,
        failed: 1,
        errors: 1,
        last: { id: 'y', passed: false },
      });
      await writeFile(path.join(folder, 'progress.json'), '{"done": 2, "tot');
      expect(await readProgressFile(folder)).toBeNull();
      await writeFile(path.join(folder, 'progress.json'), '{"done": "two"}');
      expect(await readProgressFile(folder)).toBeNull();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
