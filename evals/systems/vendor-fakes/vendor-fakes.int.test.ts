import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVendorEvalEnvironment } from '../../../app/vendor-eval-environment.ts';
import { loadEvalConfig } from '../../../config/eval.ts';
import type { ScenarioEnvironment } from '../../environment.ts';
import { loadSuite, type Suite } from '../../load-suite.ts';
import { runScenario } from '../../run-scenario.ts';
import { createScriptedCustomer } from '../../simulated-customer.ts';
import type { VendorFakes } from './fakes.ts';

/**
 * Core scenarios through `--systems vendor-fakes` (app/vendor-eval-environment.ts): the real agent on
 * the Stripe, HubSpot, Zendesk and Google Calendar backends against their fakes, judged from the
 * fakes' state — and that state checked here too, including a vendor that acted and lost its answer.
 */
let environment: ScenarioEnvironment & { fakes: VendorFakes };
let suite: Suite;
let armed: ((fakes: VendorFakes) => void) | null = null;

beforeAll(async () => {
  suite = await loadSuite(path.join(import.meta.dirname, '..', '..', 'suites', 'core'));
  environment = await createVendorEvalEnvironment({
    reasoner: 'local',
    systems: 'vendor-fakes',
    index: 0,
    config: loadEvalConfig({}),
  });
}, 120_000);
afterAll(async () => environment?.close());

/** Runs one core scenario; `arm` queues vendor faults once the fakes are seeded (before the agent runs). */
async function play(id: string, arm?: (fakes: VendorFakes) => void) {
  const loaded = suite.scenarios.find((candidate) => candidate.scenario.id === id);
  if (!loaded) throw new Error(`no core scenario ${id}`);
  armed = arm ?? null;
  const armedEnvironment: ScenarioEnvironment = {
    ...environment,
    async prepare(scenario, options) {
      const prepared = await environment.prepare(scenario, options);
      armed?.(environment.fakes);
      return prepared;
    },
  };
  const result = await runScenario({
    environment: armedEnvironment,
    loaded,
    baseline: 'none',
    run: 0,
    createCustomer: createScriptedCustomer,
  });
  return { result, fakes: environment.fakes };
}

describe('core scenarios on the vendor fakes', () => {
  it('refunds the duplicate charge once at Stripe, even when Stripe refunds and the answer is lost', async () => {
    const { result, fakes } = await play('dup-charge-auto-refund', (vendors) =>
      vendors.stripe.failNext('lost_response', { operation: 'refunds.create' }),
    );
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(true);
    const refunds = [...fakes.stripe.state.refunds.values()];
    expect(refunds).toHaveLength(1);
    const charge = fakes.stripe.state.charges.get(refunds[0]!.charge)!;
    // pay_2, the second charge of INV-1001 (the one nine seconds after the first).
    expect(charge.created - Math.floor(Date.parse('2026-11-01T10:00:00Z') / 1000)).toBe(9);
    expect(refunds[0]).toMatchObject({ amount: 9900, metadata: { switchboard_reason: 'duplicate_charge' } });
    expect(fakes.stripe.requests.filter((request) => request.operation === 'refunds.create')).toHaveLength(2);
  }, 120_000);

  it('files one Zendesk ticket when Zendesk creates it and the answer is lost', async () => {
    const { result, fakes } = await play('bug-report-new-ticket', (vendors) =>
      vendors.zendesk.failNext('lost_response', { operation: 'tickets.create' }),
    );
    expect(result.failures).toEqual([]);
    const created = [...fakes.zendesk.state.tickets.values()].filter((ticket) => ticket.external_id === null);
    expect(created).toHaveLength(1);
    expect(created[0]!.tags).toContain('switchboard_category_bug');
    expect(fakes.zendesk.state.users.get(created[0]!.requester_id)?.email).toBe(
      suite.scenarios
        .find((loaded) => loaded.scenario.id === 'bug-report-new-ticket')!
        .scenario.world.contacts.find((contact) => contact.id === 'ct_4')!.email,
    );
  }, 120_000);

  it('updates the HubSpot contact once after HubSpot fails with a 5xx first', async () => {
    const { result, fakes } = await play('fault-crm-update-transient', (vendors) =>
      vendors.hubspot.failNext(500, { operation: 'contacts.update' }),
    );
    expect(result.failures).toEqual([]);
    const contact = fakes.hubspot
      .records('contacts')
      .find((record) => record.properties.switchboard_contact_id === 'ct_10');
    expect(contact?.properties.phone).toBe('+44 20 7946 0321');
  }, 120_000);

  it('books the call as one Google Calendar event when Google inserts it and the answer is lost', async () => {
    const { result, fakes } = await play('book-call-tuesday', (vendors) =>
      vendors.google.failNext(503, {}, { afterApplying: true, operation: 'events.insert' }),
    );
    expect(result.failures).toEqual([]);
    const live = [...fakes.google.state.events.values()].filter((event) => event.status !== 'cancelled');
    const booked = live.filter((event) => event.extendedProperties === undefined);
    expect(booked).toHaveLength(1);
    expect(new Date(booked[0]!.startMs).toISOString().slice(0, 10)).toBe('2026-11-24');
  }, 120_000);

  it('finds the invoice the customer quotes by its number and emails it (the Stripe invoice carries INV-4471)', async () => {
    const { result, fakes } = await play('invoice-copy-by-id');
    expect(result.failures).toEqual([]);
    expect([...fakes.stripe.state.invoices.values()].map((invoice) => invoice.number)).toContain('INV-4471');
    expect(fakes.stripe.requests.some((request) => request.operation === 'invoices.search')).toBe(true);
  }, 120_000);
});
