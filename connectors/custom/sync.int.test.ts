import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { createConnectorGateway } from '../core/connector-gateway.ts';
import { defineOperation } from '../core/definition.ts';
import { billingTestGateway, createVendorScript, sessions } from '../core/testing/fixtures.ts';
import { createVault } from '../core/vault.ts';
import type { CustomConnectorBuilder } from './builder.ts';
import {
  customConnectorVersions,
  deleteCustomConnector,
  getCustomConnector,
  saveCustomConnector,
  setCustomConnectorEnabled,
} from './store.ts';
import { createCustomConnectorSync } from './sync.ts';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.pool.query('DELETE FROM custom_connectors; DELETE FROM custom_connector_versions');
});

/** A builder standing in for a kind: its one operation answers the greeting its declaration names. */
const greetingSpec = z.strictObject({ greeting: z.string().min(1), unreachable: z.boolean().default(false) });
function greetingBuilder(closed: string[]): CustomConnectorBuilder<z.infer<typeof greetingSpec>> {
  return {
    kind: 'http',
    spec: greetingSpec,
    async build(record) {
      if (record.spec.unreachable) throw new Error('the system did not answer its first call');
      return {
        definition: {
          id: record.id,
          title: record.title,
          grantedScopes: [],
          check: async () => ({ ok: true, detail: `version ${record.version}` }),
          operations: {
            greet: defineOperation({
              name: 'greet',
              description: 'Greets',
              effect: 'read',
              input: z.strictObject({}),
              output: z.object({ text: z.string() }),
              scopes: [],
              timeoutMs: 1_000,
              run: async () => ({ text: record.spec.greeting }),
            }),
          },
        },
        close: async () => {
          closed.push(`${record.id}@${record.version}`);
        },
      };
    },
  };
}

describe(`custom connectors: store and run-time registration (${testDatabaseKind()})`, () => {
  it('stores versions, refuses an invalid declaration or a changed kind, and keeps history on delete', async () => {
    const builders = [greetingBuilder([])];
    await expect(
      saveCustomConnector(
        database.pool,
        builders,
        { id: 'orders', kind: 'http', title: 'Orders', spec: {} },
        'a',
      ),
    ).rejects.toThrow(/spec: greeting: /);
    await expect(
      saveCustomConnector(database.pool, builders, { id: 'Bad Id', kind: 'http', title: 'x', spec: {} }, 'a'),
    ).rejects.toThrow(/^id: /);
    await expect(
      saveCustomConnector(
        database.pool,
        builders,
        { id: 'billing', kind: 'http', title: 'x', spec: {} },
        'a',
      ),
    ).rejects.toThrow(/built-in/);
    expect(await getCustomConnector(database.pool, 'orders')).toBeNull();

    const first = await saveCustomConnector(
      database.pool,
      builders,
      { id: 'orders', kind: 'http', title: 'Orders', spec: { greeting: 'hi' } },
      'ada@example.com',
    );
    const second = await saveCustomConnector(
      database.pool,
      builders,
      { id: 'orders', kind: 'http', title: 'Orders v2', spec: { greeting: 'hello' } },
      'bo@example.com',
    );
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(second).toMatchObject({
      title: 'Orders v2',
      spec: { greeting: 'hello' },
      updatedBy: 'bo@example.com',
    });

    // Another kind under the same id stores nothing, not even a version.
    const mcp: CustomConnectorBuilder = { ...greetingBuilder([]), kind: 'mcp' };
    await expect(
      saveCustomConnector(
        database.pool,
        [...builders, mcp],
        { id: 'orders', kind: 'mcp', title: 'x', spec: { greeting: 'x' } },
        'a',
      ),
    ).rejects.toMatchObject({ reason: 'conflict' });
    expect((await customConnectorVersions(database.pool, 'orders')).map((v) => v.version)).toEqual([2, 1]);

    expect(await deleteCustomConnector(database.pool, 'orders')).toBe(true);
    expect(await deleteCustomConnector(database.pool, 'orders')).toBe(false);
    const again = await saveCustomConnector(
      database.pool,
      builders,
      { id: 'orders', kind: 'http', title: 'Orders', spec: { greeting: 'back' } },
      'a',
    );
    expect(again.version).toBe(3);
  });

  it('registers, rebuilds, disables and removes connectors in the gateway, closing what it replaced', async () => {
    const closed: string[] = [];
    const gateway = billingTestGateway(database.pool, createVendorScript());
    const vault = createVault({
      db: database.pool,
      masterKeys: { currentKeyId: 'k1', keys: { k1: Buffer.alloc(32, 7) } },
    });
    const sync = createCustomConnectorSync({
      db: database.pool,
      gateway,
      builders: [greetingBuilder(closed)],
      deps: { vault },
    });
    const greet = () => gateway.callByName(sessions.maya, 'orders', 'greet', {});
    const save = (spec: Record<string, unknown>) =>
      saveCustomConnector(
        database.pool,
        [greetingBuilder([])],
        { id: 'orders', kind: 'http', title: 'Orders', spec },
        'a',
      );

    expect(await greet()).toMatchObject({ status: 'error', error: { kind: 'invalid_input' } });
    await save({ greeting: 'hi' });
    expect(await sync.reload()).toEqual([{ id: 'orders', version: 1, error: null }]);
    expect(await greet()).toMatchObject({ status: 'ok', data: { text: 'hi' } });
    // Nothing changed: the built connector is kept (not rebuilt, not closed).
    await sync.reload();
    expect(closed).toEqual([]);

    await save({ greeting: 'hello' });
    await sync.reload();
    expect(await greet()).toMatchObject({ status: 'ok', data: { text: 'hello' } });
    expect(closed).toEqual(['orders@1']);

    // A declaration that cannot be built leaves a stand-in the health view reports, with no operations.
    await save({ greeting: 'x', unreachable: true });
    expect(await sync.reload()).toEqual([
      { id: 'orders', version: 3, error: 'the system did not answer its first call' },
    ]);
    expect(await greet()).toMatchObject({ status: 'error', error: { kind: 'invalid_input' } });
    expect(await gateway.checkConnector('orders')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('did not answer'),
    });

    await save({ greeting: 'fixed' });
    await sync.reload();
    await setCustomConnectorEnabled(database.pool, 'orders', false, 'a');
    await sync.reload();
    expect(await greet()).toMatchObject({ status: 'error', error: { kind: 'invalid_input' } });
    expect(gateway.describe().map((connector) => connector.id)).toEqual(['billing_test']);
    expect(closed).toEqual(['orders@1', 'orders@2', 'orders@4']);
    await setCustomConnectorEnabled(database.pool, 'orders', true, 'a');
    await sync.reload();
    expect(await greet()).toMatchObject({ status: 'ok', data: { text: 'fixed' } });
    await sync.close();
    expect(closed).toEqual(['orders@1', 'orders@2', 'orders@4', 'orders@4']);
    await gateway.close();
  });

  it('never lets a run-time connector take a built-in connector’s name', () => {
    const gateway = createConnectorGateway({ db: database.pool, connectors: [] });
    const billing = billingTestGateway(database.pool, createVendorScript());
    const [builtIn] = billing.describe();
    expect(() =>
      billing.registerConnector({
        id: builtIn!.id,
        title: 'x',
        grantedScopes: [],
        check: async () => ({ ok: true, detail: '' }),
        operations: {},
      }),
    ).toThrow(/built in/);
    expect(billing.unregisterConnector(builtIn!.id)).toBe(false);
    expect(gateway.unregisterConnector('nothing')).toBe(false);
  });
});
