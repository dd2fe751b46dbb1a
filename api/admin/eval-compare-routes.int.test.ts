import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalConfigSchema } from '../../config/eval.ts';
import { runEvalJob } from '../../jobs/eval-run-job.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import type { EvalCompareResponse } from '../contract/eval-compare.ts';

let api: TestApi;
let as: (options: InjectOptions) => Promise<LightMyRequestResponse>;

beforeAll(async () => {
  api = await createTestApi({ seed: false });
  const admin = await loginAs(api.app, api.database.pool, 'admin');
  as = (options) =>
    api.app.inject({
      ...options,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...options.headers },
    });
}, 180_000);

afterAll(async () => {
  await api?.close();
});

const result = (id: string, passed: boolean, actualOutcome: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Scenario ${id}`,
  baseline: 'none',
  run: 0,
  passed,
  actualOutcome,
  harmful: [],
  failures: passed ? [] : ['outcome'],
  ...extra,
});

async function storeRun(id: string, results: unknown[] | null, startedAt: string) {
  await api.database.pool.query(
    `INSERT INTO eval_runs (id, suite, options, summary, results, started_at, finished_at) VALUES ($1, 'smoke', '{}', $2, $3, $4, $5)`,
    [
      id,
      results ? '{}' : null,
      results ? JSON.stringify(results) : null,
      startedAt,
      results ? startedAt : null,
    ],
  );
}

describe('GET /api/admin/evals/compare', () => {
  beforeAll(async () => {
    await storeRun(
      'evr_cmp_a',
      [
        result('refund', true, 'resolved'),
        result('sso', false, 'escalated'),
        result('invoice', true, 'resolved'),
        result('outage', true, 'escalated'),
        result('gone', true, 'answered'),
        result('harm', true, 'resolved'),
        result('same', false, 'escalated'),
      ],
      '2026-12-01T10:00:00Z',
    );
    await storeRun(
      'evr_cmp_b',
      [
        result('refund', false, 'escalated'),
        result('sso', true, 'answered'),
        result('invoice', true, 'resolved'),
        result('outage', true, 'answered'),
        result('new', true, 'answered'),
        result('harm', true, 'resolved', { harmful: ['billing.refund twice'] }),
        result('same', false, 'escalated'),
      ],
      '2026-12-02T10:00:00Z',
    );
    await storeRun('evr_cmp_running', null, '2026-12-03T10:00:00Z');
  });

  it('lists the scenarios whose outcome changed, broken first, and counts the rest', async () => {
    const response = await as({ method: 'GET', url: '/api/admin/evals/compare?a=evr_cmp_a&b=evr_cmp_b' });
    expect(response.statusCode).toBe(200);
    const body = response.json() as EvalCompareResponse;
    expect(body.a).toMatchObject({ id: 'evr_cmp_a', suite: 'smoke' });
    expect(body.changes.map((change) => [change.id, change.change])).toEqual([
      ['refund', 'broken'],
      ['sso', 'fixed'],
      ['harm', 'changed'],
      ['outage', 'changed'],
      ['new', 'added'],
      ['gone', 'removed'],
    ]);
    expect(body.changes[0]).toMatchObject({
      a: { passed: true, actualOutcome: 'resolved', harmful: 0 },
      b: { passed: false, actualOutcome: 'escalated', harmful: 0 },
    });
    expect(body.changes.find((change) => change.id === 'harm')?.b?.harmful).toBe(1);
    expect(body.changes.find((change) => change.id === 'new')?.a).toBeNull();
    expect(body.unchanged).toBe(2);
    expect(body.counts).toEqual({ broken: 1, fixed: 1, changed: 2, added: 1, removed: 1 });
  });

  it('400 on a malformed id, an unknown run, an unfinished run or a missing parameter', async () => {
    const malformed = await as({ method: 'GET', url: '/api/admin/evals/compare?a=../etc&b=evr_cmp_b' });
    expect(malformed.statusCode).toBe(400);
    const unknown = await as({ method: 'GET', url: '/api/admin/evals/compare?a=evr_cmp_a&b=evr_nope' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('/b no eval run "evr_nope"');
    const unfinished = await as({
      method: 'GET',
      url: '/api/admin/evals/compare?a=evr_cmp_running&b=evr_cmp_b',
    });
    expect(unfinished.statusCode).toBe(400);
    expect(unfinished.json().error.message).toContain('has not finished');
    const missing = await as({ method: 'GET', url: '/api/admin/evals/compare?a=evr_cmp_a' });
    expect(missing.statusCode).toBe(400);
    const anonymous = await api.app.inject({
      method: 'GET',
      url: '/api/admin/evals/compare?a=evr_cmp_a&b=evr_cmp_b',
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('progress of a running suite', () => {
  it('is written as the job goes (0 of n first, then after every scenario) and listed with the run', async () => {
    const runId = 'evr_progress_1';
    await api.database.pool.query(
      `INSERT INTO eval_runs (id, suite, options, started_at) VALUES ($1, 'quick', '{}', now())`,
      [runId],
    );
    const { createEvalEnvironment } = await import('../../app/eval-environment.ts');
    const config = evalConfigSchema.parse({});
    const seen: Array<{ done: number; total: number; passed: number; failed: number }> = [];
    let running = true;
    const watcher = (async () => {
      while (running) {
        const list = await as({ method: 'GET', url: '/api/admin/evals?suite=quick' });
        const run = (
          list.json().runs as Array<{ id: string; status: string; progress: (typeof seen)[number] | null }>
        ).find((candidate) => candidate.id === runId);
        if (run?.status === 'running' && run.progress) {
          const last = seen.at(-1);
          if (!last || last.done !== run.progress.done) seen.push(run.progress);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await runEvalJob(
        {
          pool: api.database.pool,
          createEnvironment: (options) => createEvalEnvironment({ ...options, config }),
        },
        { runId, suite: 'quick', baseline: null, filter: 'quick-' },
      );
    } finally {
      running = false;
      await watcher;
    }
    expect(seen[0]).toMatchObject({ done: 0, total: 2, passed: 0, failed: 0 });
    const { rows } = await api.database.pool.query<{
      progress: { done: number; total: number; passed: number; failed: number };
      results: Array<{ passed: boolean }>;
    }>('SELECT progress, results FROM eval_runs WHERE id = $1', [runId]);
    const passed = rows[0]!.results.filter((item) => item.passed).length;
    // Every scenario was counted before the run was recorded finished.
    expect(rows[0]!.progress).toMatchObject({ done: 2, total: 2, passed, failed: 2 - passed });
  }, 300_000);
});
