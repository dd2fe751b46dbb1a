import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLineOf, usageOf } from './command-line.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scripts = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** npm scripts that run our TypeScript but take no arguments: the long-running processes and prestart. */
const withoutArguments = new Set(['start', 'worker', 'prestart']);
/** Every other `tsx <entry> [subcommand]` script must answer --help and refuse an unknown option. */
const commands = Object.entries(scripts)
  .filter(([name, line]) => line.startsWith('tsx ') && !withoutArguments.has(name))
  .map(([name, line]) => ({ name, argv: line.split(' ').slice(1) }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dataDir: string;
const outcomes = new Map<string, Outcome>();

/** Runs the script's entry like npm does (tsx, from the repository root) with only a scratch DATA_DIR. */
function run(argv: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...argv], {
      cwd: root,
      // No DATABASE_URL, REDIS_URL, …: a command that did work despite --help would touch only dataDir.
      env: { HOME: homedir(), TMPDIR: tmpdir(), DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `jobs` with at most `limit` at a time. */
async function bounded(jobs: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
}

beforeAll(async () => {
  dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'sb-help-')), 'data');
  const cases = commands.flatMap(({ name, argv }) => [
    { key: `${name} --help`, argv: [...argv, '--help'] },
    { key: `${name} --no-such-option`, argv: [...argv, '--no-such-option'] },
  ]);
  await bounded(
    cases.map(({ key, argv }) => async () => {
      outcomes.set(key, await run(argv));
    }),
    Math.max(2, Math.min(4, availableParallelism())),
  );
}, 120_000);

afterAll(async () => {
  await rm(path.dirname(dataDir), { recursive: true, force: true });
});

describe('every npm script that takes arguments', () => {
  it('covers the scripts this issue names', () => {
    expect(commands.map(({ name }) => name)).toEqual(
      expect.arrayContaining([
        'bench:api',
        'bench:agent',
        'bench:connectors',
        'bench:retrieval',
        'bench:startup',
        'eval',
        'chat',
        'kb:ingest',
        'kb:reindex',
        'seed',
        'db:migrate',
        'credentials:rotate',
        'humans:add',
      ]),
    );
  });

  it.each(commands.map(({ name }) => name))('%s --help: the usage on stdout, exit 0', (name) => {
    const outcome = outcomes.get(`${name} --help`)!;
    expect(outcome, outcome.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toMatch(/^Usage: npm run /);
    expect(outcome.stdout).toContain('\n  -h, --help ');
    expect(outcome.stdout).toMatch(/\nExamples?:\n {2}npm run /);
  });

  it.each(commands.map(({ name }) => name))('%s --no-such-option: one line on stderr, exit 2', (name) => {
    const outcome = outcomes.get(`${name} --no-such-option`)!;
    expect(outcome.code, outcome.stderr).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toMatch(
      /^Unknown option '--no-such-option' \(see `npm run [a-z:-]+ -- --help`\)\n$/,
    );
  });

  it('did no work: nothing was written to DATA_DIR', () => {
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('parseCommandLineOf', () => {
  const spec = {
    command: 'npm run example',
    positionals: { synopsis: '<folder>', min: 1, max: 1 },
    summary: 'Does an example.',
    options: {
      runs: { type: 'string', value: '<n>', default: '3', description: 'how many' },
      fast: { type: 'boolean', default: false, description: 'go fast' },
      name: { type: 'string', description: 'a name' },
    },
    examples: ['npm run example -- here --runs 2'],
  } as const;

  it('returns values with their defaults and the positionals', () => {
    expect(parseCommandLineOf(spec, ['here', '--runs=5'])).toEqual({
      values: { runs: '5', fast: false },
      positionals: ['here'],
    });
    expect(parseCommandLineOf(spec, ['here', '-h'])).toBeNull();
  });

  it('refuses unknown options, missing values and stray or missing arguments in one line', () => {
    expect(() => parseCommandLineOf(spec, ['here', '--nope'])).toThrow(/^Unknown option '--nope'$/);
    expect(() => parseCommandLineOf(spec, ['here', '--runs'])).toThrow(
      "Option '--runs <value>' argument missing",
    );
    expect(() => parseCommandLineOf(spec, ['here', 'there'])).toThrow("Unexpected argument 'there'");
    expect(() => parseCommandLineOf(spec, [])).toThrow('Missing <folder>');
  });

  it('shows every option with its default, and an example', () => {
    const usage = usageOf(spec);
    expect(usage).toMatch(/^Usage: npm run example -- <folder> \[options\]\n\nDoes an example\./);
    expect(usage).toMatch(/\n {2}--runs <n> +how many \(default 3\)\n/);
    expect(usage).toMatch(/\n {2}--fast +go fast\n/);
    expect(usage).toMatch(/\n {2}-h, --help +show this help and exit\n/);
    expect(usage).toMatch(/Example:\n {2}npm run example -- here --runs 2$/);
  });
});
