import { spawnSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveLogFormat } from './logger.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

/** One info line through createLogger in a child whose stdout is a pipe (not a terminal). */
function logOnce(logFormat?: string): { stdout: string; stderr: string; status: number | null } {
  const script =
    "const { createLogger } = await import('./config/logger.ts');" +
    "createLogger({ level: 'info' }).info({ jobId: 'j1' }, 'hello from the logger');";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { HOME: homedir(), TMPDIR: tmpdir(), ...(logFormat === undefined ? {} : { LOG_FORMAT: logFormat }) },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe('resolveLogFormat', () => {
  it('is pretty on a terminal and JSON otherwise, unless LOG_FORMAT says which', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});

describe('createLogger', () => {
  it('writes JSON lines when stdout is not a terminal', () => {
    const { stdout, status } = logOnce();
    expect(status).toBe(0);
    expect(JSON.parse(stdout.trim())).toMatchObject({ level: 30, msg: 'hello from the logger', jobId: 'j1' });
  });

  it('writes one readable line with LOG_FORMAT=pretty (no colours off a terminal)', () => {
    const { stdout, status } = logOnce('pretty');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello from the logger \{"jobId":"j1"\}\n$/);
  });

  it('refuses an unknown LOG_FORMAT with the one-line configuration error', () => {
    const { stderr, status } = logOnce('yaml');
    expect(status).not.toBe(0);
    expect(stderr).toContain('Configuration error: LOG_FORMAT must be auto, pretty or json (got "yaml")');
  });
});
