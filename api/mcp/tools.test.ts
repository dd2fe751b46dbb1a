import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ManagedConnectorGateway } from '../../connectors/core/connector-gateway.ts';
import { type ConnectorDefinition, defineOperation } from '../../connectors/core/definition.ts';
import type { ApiKeyPrincipal } from './api-keys.ts';
import { describeTool, toolsFor } from './tools.ts';

const operation = (name: string, extra: Partial<Parameters<typeof defineOperation>[0]> = {}) =>
  defineOperation({
    name,
    description: `${name} description`,
    effect: 'read',
    input: z.strictObject({ account_id: z.string(), limit: z.number().int().default(10) }),
    output: z.object({}),
    scopes: [],
    timeoutMs: 1_000,
    run: async () => ({}),
    ...extra,
  });

const connector: ConnectorDefinition = {
  id: 'shop',
  title: 'Shop',
  grantedScopes: [],
  check: async () => ({ ok: true, detail: 'ok' }),
  operations: {
    list_orders: operation('list_orders', { customerKey: { field: 'account_id', from: 'accountId' } }),
    refund: operation('refund', { effect: 'write', mayNeedApproval: true }),
    search: operation('search'),
    hidden: operation('hidden'),
  },
};

const gateway = {
  definitions: () => [connector],
  getPolicy: async () => ({ allowedOperations: ['list_orders', 'refund', 'search'] }),
} as unknown as ManagedConnectorGateway;

const customer: ApiKeyPrincipal = {
  keyId: 'key_1',
  kind: 'customer',
  contactId: 'ct_1',
  accountId: 'acc_1',
  tier: 'pro',
};
const staff: ApiKeyPrincipal = { keyId: 'key_2', kind: 'staff', humanId: 'hum_1', role: 'agent' };

describe('MCP tools from connector operations', () => {
  it('names tools <connector>__<operation>, follows the allow-list and hides the session-bound field', async () => {
    const tools = (await toolsFor(gateway, customer)).map(describeTool);
    expect(tools.map((tool) => tool.name)).toEqual(['shop__list_orders', 'shop__refund', 'shop__search']);
    const [list, refund] = tools;
    expect(list!.inputSchema.properties).not.toHaveProperty('account_id');
    expect(list!.inputSchema).not.toHaveProperty('required');
    expect(list!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(refund!.inputSchema.required).toEqual(['account_id', 'idempotency_key']);
    expect(refund!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
    });
    expect(refund!.description).toMatch(/approval_required/);
  });

  it('gives a staff key only operations that name no customer record', async () => {
    const names = (await toolsFor(gateway, staff)).map((tool) => tool.name);
    expect(names).toEqual(['shop__refund', 'shop__search']);
  });
});
