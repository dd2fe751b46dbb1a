import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { createConnectorGateway } from './connector-gateway.ts';
import { defineContract, implement, operationsOf } from './contract.ts';
import type { ConnectorDefinition } from './definition.ts';
import { fastResilience, sessions } from './testing/fixtures.ts';

/** A connector kind of this test only: one read bound to the session's account, one write. */
const greeter = {
  greet: defineContract({
    connector: 'greeter',
    name: 'greet',
    description: 'Greets the account.',
    effect: 'read',
    input: z.strictObject({ account_id: z.string(), shout: z.boolean().default(false) }),
    output: z.object({ greeting: z.string(), length: z.number().int() }),
    customerKey: { field: 'account_id', from: 'accountId' },
  }),
  record: defineContract({
    connector: 'greeter',
    name: 'record',
    description: 'Records a greeting.',
    effect: 'write',
    input: z.strictObject({ text: z.string().min(1) }),
    output: z.object({ id: z.string() }),
    idempotencyKey: (input) => `record:${input.text}`,
  }),
};

/** A backend implementing the contract; `answer` replaces what `greet` returns (a broken vendor). */
function greeterBackend(answer?: unknown, id = 'greeter'): ConnectorDefinition {
  return {
    id,
    title: 'Greeter (test backend)',
    grantedScopes: [],
    check: async () => ({ ok: true, detail: 'fine' }),
    operations: operationsOf(
      greeter,
      [
        implement(greeter.greet, {
          scopes: [],
          timeoutMs: 1_000,
          async run(input) {
            if (answer !== undefined) return answer as never;
            const greeting = `hello ${input.account_id}${input.shout ? '!' : ''}`;
            return { greeting, length: greeting.length };
          },
        }),
        implement(greeter.record, {
          scopes: [],
          timeoutMs: 1_000,
          run: async (input, context) => ({ id: `${input.text}@${context.idempotencyKey}` }),
        }),
      ],
      'greeter',
    ),
  };
}

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const gatewayOver = (connector: ConnectorDefinition) =>
  createConnectorGateway({ db: database.pool, connectors: [connector], resilience: fastResilience });

describe(`typed connector contracts (${testDatabaseKind()})`, () => {
  it('a call named by its contract is typed end to end and binds the customer from the session', async () => {
    const gateway = gatewayOver(greeterBackend());
    const result = await gateway.call(sessions.maya, greeter.greet, { shout: true });
    expectTypeOf(result).toExtend<{ status: string }>();
    if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
    expectTypeOf(result.data).toEqualTypeOf<{ greeting: string; length: number }>();
    expect(result.data).toEqual({ greeting: 'hello acc_1!', length: 12 });
    // Compile-time checks only (never run): strings and foreign fields are type errors.
    const _compileOnly = () => {
      // @ts-expect-error operations are named by contracts, never by strings
      void gateway.call(sessions.maya, 'greeter', 'greet', {});
      // @ts-expect-error the input is the contract's (no such field)
      void gateway.call(sessions.maya, greeter.greet, { volume: 11 });
    };
    await gateway.close();
  });

  it("checks the backend's output against the contract's schema at run time (a wrong shape never reaches the caller)", async () => {
    const gateway = gatewayOver(greeterBackend({ greeting: 42 }));
    const result = await gateway.call(sessions.maya, greeter.greet, {});
    // Asked again (a garbled answer is retried), then refused: the caller never sees the wrong shape.
    expect(result).toMatchObject({ status: 'error', error: { kind: 'transient' } });
    expect(result.status === 'error' && result.error.message).toMatch(
      /^malformed response from greeter\.greet: greeting: /,
    );
    await gateway.close();
  });

  it('a write named by data ({connector, operation}, as checkpoints keep it) runs the same operation under the same key', async () => {
    const gateway = gatewayOver(greeterBackend());
    const typed = await gateway.call(sessions.maya, greeter.record, { text: 'hi' });
    const stored = await gateway.callByName(sessions.maya, 'greeter', 'record', { text: 'hi' });
    expect(typed).toMatchObject({ status: 'ok', data: { id: 'hi@conv_1:greeter.record:record:hi' } });
    expect(stored).toMatchObject({
      status: 'ok',
      replayed: true,
      data: { id: 'hi@conv_1:greeter.record:record:hi' },
    });
    await gateway.close();
  });

  it('refuses a contract the registered backend does not implement, and a backend missing an operation', async () => {
    const other = defineContract({ ...greeter.greet });
    const gateway = gatewayOver(greeterBackend());
    expect(await gateway.call(sessions.maya, other, {})).toMatchObject({
      status: 'error',
      error: {
        kind: 'invalid_input',
        message: 'the greeter backend does not implement this greeter.greet contract',
      },
    });
    await gateway.close();
    expect(() =>
      operationsOf(
        greeter,
        [
          implement(greeter.greet, {
            scopes: [],
            timeoutMs: 1,
            run: async () => ({ greeting: '', length: 0 }),
          }),
        ],
        'greeter',
      ),
    ).toThrow('the greeter backend does not implement greeter.record');
  });
});

describe('procedures and agent nodes name operations by contract', () => {
  it('no agent source passes a connector name as a string to a call, a read or a write action', () => {
    const root = path.resolve(import.meta.dirname, '../../agent');
    const offenders: string[] = [];
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const file = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          const text = readFileSync(file, 'utf8');
          const patterns = [
            /\.(call|callByName|read)(<[^>]*>)?\(\s*[^,()]*,?\s*'(crm|billing|ticketing|calendar|email|knowledge)'/,
            /mustRead(<[^>]*>)?\(\s*\w+,\s*'/,
            /connector:\s*'(crm|billing|ticketing|calendar|email|knowledge)'/,
          ];
          for (const pattern of patterns)
            if (pattern.test(text)) offenders.push(`${path.relative(root, file)} (${pattern.source})`);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
