import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BullJobs, createBullJobs, createBullWorkers } from './bullmq-jobs.ts';
import type { BullWorkers } from './bullmq-workers.ts';
import { sleep, testHandlers, waitFor } from './testing/handlers.ts';

const run = promisify(execFile);

/** A free loopback port for a Redis server of this test's own (never the machine's shared one). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function ping(port: number): Promise<boolean> {
  return run('redis-cli', ['-p', String(port), 'ping'])
    .then(({ stdout }) => stdout.trim() === 'PONG')
    .catch(() => false);
}

async function startRedis(port: number): Promise<void> {
  await run('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'yes',
  ]);
  await waitFor('redis-server to answer', () => ping(port), 5_000);
}

async function stopRedis(port: number): Promise<void> {
  await run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(() => {});
  await waitFor('redis-server to stop', async () => !(await ping(port)), 5_000);
}

// Found by `npm run chaos` (docs/reliability.md): Redis restarted without persistence comes back without
// the job schedulers (the outbox tick, the pending-turn sweep), which only a worker's start created —
// so a turn whose job died with Redis stayed pending until someone restarted a worker.
describe('job schedulers when Redis comes back empty', () => {
  let port: number;
  let jobs: BullJobs | undefined;
  let workers: BullWorkers | undefined;

  beforeAll(async () => {
    port = await freePort();
    await startRedis(port);
  });
  afterAll(async () => {
    await workers?.close({ graceMs: 0 });
    await jobs?.close();
    await stopRedis(port);
  });

  it('are created again on reconnection and keep running; a removed one is not', async () => {
    const url = `redis://127.0.0.1:${port}`;
    const sweeps: number[] = [];
    const ticks: number[] = [];
    jobs = createBullJobs({ url, prefix: 'restart' });
    workers = createBullWorkers({
      url,
      prefix: 'restart',
      handlers: testHandlers({
        'maintenance.recover-turns': async () => {
          sweeps.push(Date.now());
        },
        'email.outbound': async () => {
          ticks.push(Date.now());
        },
      }),
      types: ['maintenance.recover-turns', 'email.outbound'],
    });
    await jobs.repeat('maintenance.recover-turns', { olderThanMs: 10_000 }, { everyMs: 300 });
    await jobs.repeat('email.outbound', { reason: 'tick' }, { everyMs: 300 });
    await jobs.unrepeat('email.outbound');
    await waitFor('the sweep before the restart', () => sweeps.length >= 2, 10_000);

    await stopRedis(port);
    await sleep(500);
    await startRedis(port);
    const restartedAt = Date.now();

    await waitFor('the sweep after the restart', () => sweeps.some((at) => at > restartedAt), 15_000);
    const schedulers = new Set((await listSchedulers(port)).map((key) => key.split(':')[1]));
    expect(schedulers).toEqual(new Set(['maintenance.recover-turns']));
    // The removed scheduler stays removed: nothing of it ran after the restart.
    expect(ticks.filter((at) => at > restartedAt)).toEqual([]);
  }, 40_000);
});

/** The job-scheduler keys in the test's Redis (`<prefix>:<queue>:repeat`). */
async function listSchedulers(port: number): Promise<string[]> {
  const { stdout } = await run('redis-cli', ['-p', String(port), '--scan', '--pattern', 'restart:*:repeat']);
  return stdout.split('\n').filter(Boolean);
}
