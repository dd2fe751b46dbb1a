import { describe, expect, it } from 'vitest';
import { parseScenario } from '../load-suite.ts';
import { buildCapturedScenario, type CapturedConversation, CaptureError } from './build-scenario.ts';
import { scenarioYaml } from './store.ts';

const maya = {
  id: 'ct_0001',
  name: 'Maya Chen',
  email: 'maya.chen@brightpath.io',
  timezone: 'Europe/Berlin',
  phone: '+49 30 1234 5678',
  title: 'Head of Finance',
};

function conversation(overrides: Partial<CapturedConversation> = {}): CapturedConversation {
  return {
    id: 'conv_1',
    channel: 'chat',
    verified: true,
    startedAt: new Date('2026-11-20T09:00:00Z'),
    account: { id: 'acc_0001', name: 'Brightpath', tier: 'pro', region: 'EU' },
    contact: maya,
    customerTurns: [
      { text: 'Hi, this is Maya Chen from Brightpath. I was charged twice for INV-1042.', input: null },
      {
        text: 'My phone is +49 30 1234 5678 and I live at 12 Linden Street. Also what about INV-2002 of daniel.kim@harborline.com?',
        input: null,
      },
      { text: 'Here is our key sk_live_51HxYzAbCdEfGhIjKlMn and password: hunter22', input: null },
      { text: 'Yes, please go ahead.', input: { kind: 'confirm' } },
      { text: '••••••', input: { kind: 'verify_code' } },
    ],
    subscriptions: [
      {
        id: 'sub_0001',
        account_id: 'acc_0001',
        plan_id: 'pro',
        status: 'active',
        period_end: '2026-12-01',
        period_start: '2026-11-01',
      },
      // Another account's subscription, passed in by mistake: never copied.
      {
        id: 'sub_0099',
        account_id: 'acc_0007',
        plan_id: 'business',
        status: 'active',
        period_end: '2026-12-01',
      },
    ],
    invoices: [
      {
        id: 'INV-1042',
        account_id: 'acc_0001',
        subscription_id: 'sub_0001',
        amount_cents: 9900,
        status: 'paid',
        issued_at: new Date('2026-11-01T00:00:00Z'),
        due_at: null,
      },
      {
        id: 'INV-2002',
        account_id: 'acc_0007',
        subscription_id: null,
        amount_cents: 49900,
        status: 'paid',
        issued_at: '2026-11-01',
      },
    ],
    payments: [
      {
        id: 'pay_00012',
        invoice_id: 'INV-1042',
        amount_cents: 9900,
        status: 'succeeded',
        card_last4: '1881',
        created_at: new Date('2026-11-01T10:00:00Z'),
      },
      {
        id: 'pay_00013',
        invoice_id: 'INV-1042',
        amount_cents: 9900,
        status: 'succeeded',
        card_last4: '1881',
        created_at: new Date('2026-11-01T10:00:09Z'),
      },
      {
        id: 'pay_00099',
        invoice_id: 'INV-2002',
        amount_cents: 49900,
        status: 'succeeded',
        created_at: new Date('2026-11-01T10:00:00Z'),
      },
    ],
    tickets: [],
    incidents: [],
    bookings: [],
    engineers: [],
    writes: [
      {
        op: 'billing.refund_payment',
        input: { payment_id: 'pay_00013', amount_cents: 9900, reason: 'Maya Chen asked' },
      },
      { op: 'billing.refund_payment', input: { payment_id: 'pay_00099', amount_cents: 49900 } },
      { op: 'email.send', input: { to: 'maya.chen@brightpath.io' } },
    ],
    ...overrides,
  };
}

const choice = {
  id: 'dup-charge-captured',
  name: 'Duplicate charge escalated',
  outcome: 'escalated' as const,
};

describe('buildCapturedScenario', () => {
  it('replaces personal data everywhere, consistently with the world snapshot', () => {
    const scenario = buildCapturedScenario(conversation(), choice);
    const all = JSON.stringify(scenario);
    for (const real of [
      'Maya',
      'Chen',
      'brightpath',
      'Brightpath',
      '1234 5678',
      '1881',
      'Linden',
      'Head of Finance',
    ])
      expect(all).not.toContain(real);
    const contact = scenario.world.contacts[0]!;
    expect(contact.id).not.toBe('ct_0001');
    expect(scenario.customer.contact).toBe(contact.id);
    // The name in the message is the world contact's fake name, the phone the contact's fake phone.
    expect(scenario.customer.says[0]).toContain(contact.name);
    expect(scenario.customer.says[0]).toContain(scenario.world.accounts[0]!.name);
    expect(scenario.customer.says[1]).toContain(contact.phone!);
    expect(scenario.customer.says[1]).toContain('1 Example Street');
    // The invoice the customer quoted is the world invoice under its new id.
    const invoice = scenario.world.invoices[0]!;
    expect(invoice.id).toMatch(/^INV-\d{4}$/);
    expect(invoice.id).not.toBe('INV-1042');
    expect(scenario.customer.says[0]).toContain(invoice.id);
    expect(scenario.world.payments.map((payment) => payment.invoice)).toEqual([invoice.id, invoice.id]);
    expect(scenario.world.payments.every((payment) => payment.card_last4 === '4242')).toBe(true);
    expect(invoice.subscription).toBe(scenario.world.subscriptions[0]!.id);
  });

  it('never copies another customer record or a secret, even when the text names them', () => {
    const scenario = buildCapturedScenario(conversation(), {
      ...choice,
      outcome: 'resolved',
      expectSameWrites: true,
    });
    const all = JSON.stringify(scenario);
    for (const foreign of ['acc_0007', 'sub_0099', 'INV-2002', 'pay_00099', '49900', 'daniel', 'harborline'])
      expect(all).not.toContain(foreign);
    expect(scenario.world.accounts).toHaveLength(1);
    expect(scenario.world.invoices).toHaveLength(1);
    expect(scenario.world.payments).toHaveLength(2);
    expect(scenario.world.subscriptions).toHaveLength(1);
    // The other customer's invoice id becomes one that names nothing in the world.
    const mentioned = /INV-\d+/.exec(scenario.customer.says[1]!)?.[0];
    expect(mentioned).toMatch(/^INV-9\d{3}$/);
    expect(scenario.world.invoices.some((item) => item.id === mentioned)).toBe(false);
    expect(all).not.toContain('sk_live');
    expect(all).not.toContain('hunter22');
    expect(scenario.customer.says[2]).toContain('[secret removed]');
    // Expected writes: the customer's own refund only, its id remapped; the free-text reason dropped.
    expect(scenario.expect.writes).toEqual([
      {
        op: 'billing.refund_payment',
        args: { payment_id: scenario.world.payments[1]!.id, amount_cents: 9900 },
      },
    ]);
    expect(scenario.expect.no_other_writes).toBe(true);
  });

  it('keeps the minimal world, the identity and the human choice', () => {
    const scenario = buildCapturedScenario(conversation({ verified: false }), {
      ...choice,
      escalationReason: 'policy_requires_human',
    });
    expect(scenario.customer.verified).toBe(false);
    expect(scenario.customer.confirms).toBe(true);
    // Button presses and the masked code are not replayed as messages.
    expect(scenario.customer.says).toHaveLength(3);
    expect(scenario.now).toBe('2026-11-20T09:00:00.000Z');
    expect(scenario.expect).toMatchObject({
      outcome: 'escalated',
      escalation_reason: 'policy_requires_human',
    });
    expect(scenario.expect.writes).toBeUndefined();
    expect(scenario.world.tickets).toEqual([]);
    expect(scenario.world.bookings).toEqual([]);
    expect(scenario.tags).toEqual(['captured']);
  });

  it('is deterministic and round-trips through the suite loader', () => {
    const first = buildCapturedScenario(conversation(), choice);
    expect(buildCapturedScenario(conversation(), choice)).toEqual(first);
    const loaded = parseScenario(scenarioYaml(first), 'captured/dup-charge-captured');
    expect(loaded).toEqual(first);
  });

  it('refuses a conversation without a message to replay, and a choice that does not validate', () => {
    expect(() =>
      buildCapturedScenario(
        conversation({ customerTurns: [{ text: 'Yes', input: { kind: 'confirm' } }] }),
        choice,
      ),
    ).toThrow(CaptureError);
    expect(() => buildCapturedScenario(conversation(), { ...choice, id: 'bad id!' })).toThrow();
    expect(() =>
      buildCapturedScenario(conversation(), {
        ...choice,
        outcome: 'resolved',
        escalationReason: 'loop_detected',
      }),
    ).not.toThrow(); // a reason without escalated is ignored, not stored
  });

  it('makes up a stand-in contact for an anonymous visitor, copying no account', () => {
    const scenario = buildCapturedScenario(
      conversation({
        account: null,
        contact: null,
        verified: false,
        customerTurns: [{ text: 'How do I export data? Mail me at x.y@corp.example', input: null }],
      }),
      { ...choice, outcome: 'answered' },
    );
    expect(scenario.world.contacts).toHaveLength(1);
    expect(scenario.world.invoices).toEqual([]);
    expect(scenario.customer.says[0]).not.toContain('x.y@corp.example');
    expect(scenario.customer.says[0]).toMatch(/someone\d+@example\.net/);
  });
});

describe('the replayed customer confirms only what the real one did', () => {
  it('declines when the customer never pressed Confirm', () => {
    const typedOnly = conversation({ customerTurns: [{ text: 'I was charged twice.', input: null }] });
    expect(buildCapturedScenario(typedOnly, choice).customer.confirms).toBe(false);
    const declined = conversation({
      customerTurns: [
        { text: 'I was charged twice.', input: null },
        { text: "No, please don't do that.", input: { kind: 'decline' } },
      ],
    });
    expect(buildCapturedScenario(declined, choice).customer.confirms).toBe(false);
  });
});
