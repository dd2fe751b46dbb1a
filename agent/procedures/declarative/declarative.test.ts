import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { defineOperation } from '../../../connectors/core/definition.ts';
import type { ProcedureContext, ReadOutcome } from '../procedure.ts';
import { compileProcedure } from './compile.ts';
import { procedureDefinitionSchema, type SlotDefinition } from './definition.ts';
import { readSlot } from './slots.ts';
import { render, resolveInput } from './template.ts';
import { validateProcedure } from './validate.ts';

const reading = { now: new Date('2026-11-20T09:00:00Z'), timezone: 'Europe/Berlin', expected: false };

describe('declared slots, by type', () => {
  const slot = (definition: Record<string, unknown>) => ({ ask: 'Which?', ...definition }) as SlotDefinition;

  it('reads an id by its pattern anywhere, and any id only as the answer to its question', () => {
    expect(readSlot(slot({ type: 'id', pattern: 'ORD-\\d{3,}' }), 'it is ord-4417, thanks', reading)).toBe(
      'ord-4417',
    );
    expect(
      readSlot(slot({ type: 'id', pattern: 'ORD-\\d{3,}' }), 'my order XORD-4417', reading),
    ).toBeUndefined();
    expect(readSlot(slot({ type: 'id' }), 'A-1234', reading)).toBeUndefined();
    expect(readSlot(slot({ type: 'id' }), 'A-1234', { ...reading, expected: true })).toBe('A-1234');
  });

  it('reads dates in the customer’s zone and amounts in cents', () => {
    expect(readSlot(slot({ type: 'date' }), 'it was delivered on November 3', reading)).toBe('2026-11-03');
    expect(readSlot(slot({ type: 'amount' }), 'they charged $12.50', reading)).toBe('1250');
  });

  it('reads an enum by its values and synonyms, and free text only when asked', () => {
    const reason = slot({ type: 'enum', values: ['damaged', 'late'], synonyms: { broken: 'damaged' } });
    expect(readSlot(reason, 'the box arrived broken', reading)).toBe('damaged');
    expect(readSlot(reason, 'it came LATE', reading)).toBe('late');
    expect(readSlot(reason, 'no idea', reading)).toBeUndefined();
    expect(readSlot(slot({ type: 'text' }), 'the lid is cracked', reading)).toBeUndefined();
    expect(readSlot(slot({ type: 'text' }), 'the lid is cracked', { ...reading, expected: true })).toBe(
      'the lid is cracked',
    );
  });
});

describe('templates', () => {
  const scope = {
    slots: { order_id: 'ORD-1' },
    steps: { order: { total_cents: 12950, carrier: null, items: [{ sku: 'A1' }] } },
    customer: null,
  };
  it('fills fields, formats money, and keeps a whole reference’s type for inputs', () => {
    expect(
      render(
        '{{ slots.order_id }}: {{ steps.order.total_cents | money }} via {{steps.order.items.0.sku}}',
        scope,
      ),
    ).toBe('ORD-1: $129.50 via A1');
    expect(resolveInput('{{ steps.order.total_cents }}', scope)).toBe(12950);
    expect(resolveInput('order {{ slots.order_id }}', scope)).toBe('order ORD-1');
  });
});

describe('a compiled procedure', () => {
  const definition = procedureDefinitionSchema.parse(
    parse(`
title: cancelling an order
phrasings: [cancel my order, stop my order, withdraw my order]
slots:
  order_id: { type: id, pattern: 'ORD-\\d+', ask: Which order? }
steps:
  - read: orders.get_order
    as: order
    input: { order_id: '{{ slots.order_id }}' }
  - confirm: Cancel {{ steps.order.id }}?
  - write: orders.cancel_order
    as: cancelled
    input: { order_id: '{{ slots.order_id }}' }
    label: cancel order {{ slots.order_id }}
  - reply: Order {{ steps.cancelled.id }} is {{ steps.cancelled.status }}.
escalate:
  - when: { field: steps.order.status, equals: shipped }
    reason: policy_requires_human
    say: '{{ steps.order.id }} has shipped.'
`),
  );
  const procedure = compileProcedure('cancel_order', definition);
  const context = (slots: Record<string, string>, status: string): ProcedureContext => ({
    customer: null,
    slots,
    message: '',
    provenAddresses: [],
    now: new Date(),
    policy: { auto_refund_limit_cents: 0, refund_window_days: 30 },
    read: async () => {
      throw new Error('not used');
    },
    readByName: async (connector, operation, input): Promise<ReadOutcome<Record<string, unknown>>> => {
      expect([connector, operation, input]).toEqual(['orders', 'get_order', { order_id: 'ORD-7' }]);
      return { ok: true, data: { id: 'ORD-7', status }, stale: false };
    },
    answer: async () => {
      throw new Error('not used');
    },
  });

  it('is routed as custom.<id> and reads its own slots', () => {
    expect(procedure.intent).toBe('custom.cancel_order');
    expect(procedure.slotsFrom!('cancel ORD-7 please', { ...reading, expecting: null })).toEqual({
      'custom.order_id': 'ORD-7',
    });
  });

  it('asks for a missing slot, confirms the writes, escalates by its rule, and completes from the write', async () => {
    expect(await procedure.plan(context({}, 'processing'))).toEqual({
      kind: 'ask',
      slot: 'custom.order_id',
      prompt: 'Which order?',
    });
    expect(await procedure.plan(context({ 'custom.order_id': 'ORD-7' }, 'processing'))).toEqual({
      kind: 'confirm',
      prompt: 'Cancel ORD-7?',
      actions: [
        {
          connector: 'orders',
          operation: 'cancel_order',
          input: { order_id: 'ORD-7' },
          label: 'cancel order ORD-7',
        },
      ],
    });
    expect(await procedure.plan(context({ 'custom.order_id': 'ORD-7' }, 'shipped'))).toMatchObject({
      kind: 'escalate',
      reason: 'policy_requires_human',
      text: 'ORD-7 has shipped.',
    });
    const done = procedure.complete!(context({ 'custom.order_id': 'ORD-7' }, 'processing'), [
      {
        action: { connector: 'orders', operation: 'cancel_order', input: {}, label: '' },
        output: { id: 'ORD-7', status: 'cancelled' },
      },
    ]);
    expect(done.text).toBe('Order ORD-7 is cancelled.');
  });
});

describe('validation against the registered operations', () => {
  const orders = {
    id: 'orders',
    title: 'Orders',
    grantedScopes: [],
    check: async () => ({ ok: true as const, detail: 'ok' }),
    operations: {
      get_order: defineOperation({
        name: 'get_order',
        description: 'an order',
        effect: 'read',
        input: z.object({ order_id: z.string(), account_id: z.string() }),
        output: z.object({ id: z.string(), status: z.string(), shipment: z.object({ carrier: z.string() }) }),
        scopes: [],
        timeoutMs: 1000,
        customerKey: { field: 'account_id', from: 'accountId' },
        run: async () => ({ id: 'x', status: 'y', shipment: { carrier: 'z' } }),
      }),
    },
  };
  const source = (steps: string, extra = '') => `
title: order status
phrasings: [where is my order, track my parcel, has it shipped]
slots:
  order_id: { type: id, ask: Which order? }
${extra}
steps:
${steps}
`;
  const check = (yaml: string) => validateProcedure('order_status', yaml, { connectors: [orders] });
  const read = `  - read: orders.get_order
    as: order
    input: { order_id: '{{ slots.order_id }}' }`;

  it('accepts nested output fields and names every problem by its path', async () => {
    expect(await check(source(`${read}\n  - reply: '{{ steps.order.shipment.carrier }}'`))).toMatchObject({
      ok: true,
    });
    const problems = async (yaml: string) => {
      const result = await check(yaml);
      return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
    };
    expect(await problems(source(`${read}\n  - reply: '{{ steps.order.shipment.eta }}'`))).toEqual([
      'steps.1.reply: {{ steps.order.shipment.eta }}: step "order" returns no field "shipment.eta" (fields: carrier)',
    ]);
    expect(
      await problems(source(`${read.replace('{ order_id', '{ account_id: acc_2, order_id')}\n  - reply: ok`)),
    ).toEqual(['steps.0.input.account_id: is bound to the verified customer by the pipeline; leave it out']);
    expect(await problems(source(`${read}\n  - reply: '{{ slots.order }} {{ steps.later.id }}'`))).toEqual([
      'steps.1.reply: {{ slots.order }}: no slot "order" is declared',
      'steps.1.reply: {{ steps.later.id }}: no step named "later" runs before this',
    ]);
    expect(await problems(source(`  - read: billing.get_invoice\n    as: x\n  - reply: ok`))).toEqual([
      'steps.0.read: unknown connector "billing" (connectors: orders)',
    ]);
    expect(await problems(source(`${read}\n  - reply: ok`, 'extra: 1'))).toEqual([
      '(top): unknown key extra',
    ]);
  });
});
