import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateHuman } from '../../api/auth/human-auth.ts';
import { openDatabase } from '../../db/database.ts';
import { main } from './humans-add.ts';

describe('npm run humans:add', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'humans-add-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const run = async (argv: string[], password: string, env: { HUMAN_PASSWORD?: string } = {}) => {
    const lines: string[] = [];
    const code = await main(
      argv,
      { DATA_DIR: dataDir, ...env },
      {
        readPassword: async () => password,
        output: (line) => lines.push(line),
      },
    );
    return { code, output: lines.join('\n') };
  };

  it('adds a human who can then sign in with the password from stdin, once', async () => {
    const added = await run(
      ['--email', 'Lead@Lumen.example', '--name', 'Lee Lead', '--role', 'admin'],
      'a secret password\n',
    );
    expect(added).toMatchObject({
      code: 0,
      output: expect.stringMatching(/^Added admin Lee Lead <lead@lumen\.example>/),
    });
    const duplicate = await run(['--email', 'lead@lumen.example', '--name', 'Again'], 'another password');
    expect(duplicate).toEqual({
      code: 1,
      output: 'A human agent with the email lead@lumen.example already exists.',
    });

    const byEnv = await run(['--email', 'env@lumen.example', '--name', 'Env'], 'ignored', {
      HUMAN_PASSWORD: 'from the environment',
    });
    expect(byEnv.code).toBe(0);

    const database = await openDatabase({ dataDir });
    try {
      expect(await authenticateHuman(database.pool, 'lead@lumen.example', 'a secret password')).toMatchObject(
        {
          role: 'admin',
          name: 'Lee Lead',
        },
      );
      expect(
        await authenticateHuman(database.pool, 'env@lumen.example', 'from the environment'),
      ).toMatchObject({
        role: 'agent',
      });
    } finally {
      await database.close();
    }
  }, 60_000);

  it('refuses bad arguments and short passwords without touching the database', async () => {
    expect((await run(['--name', 'No Email'], 'long enough password')).code).toBe(2);
    expect(
      (await run(['--email', 'x@y.io', '--name', 'X', '--role', 'root'], 'long enough password')).output,
    ).toMatch(/--role must be agent or admin/);
    expect((await run(['--email', 'x@y.io', '--name', 'X', '--bogus'], 'long enough password')).code).toBe(2);
    expect((await run(['--email', 'x@y.io', '--name', 'X'], 'short')).output).toMatch(/at least 10/);
  });
});
