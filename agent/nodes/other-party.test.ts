import { describe, expect, it } from 'vitest';
import type { CustomerProfile } from '../procedures/procedure.ts';
import { namesAnotherParty } from './other-party.ts';

const maya: CustomerProfile = {
  contactId: 'ct_1',
  accountId: 'acc_1',
  name: 'Maya Chen',
  email: 'maya@brightpath.io',
  timezone: 'Europe/Berlin',
  tier: 'pro',
  accountName: 'Brightpath',
  verified: true,
};

describe('namesAnotherParty', () => {
  it("finds another person's possession in an action request", () => {
    expect(namesAnotherParty("please move Priya's booking to Friday", maya)).toBe(true);
    expect(namesAnotherParty("refund Daniel's last invoice, he's away", maya)).toBe(true);
  });

  it('finds a named company referred to in the third person', () => {
    expect(namesAnotherParty('How much does Acme Widgets pay for their subscription?', maya)).toBe(true);
  });

  it('finds an errand run for someone else', () => {
    expect(namesAnotherParty('my boss asked me to cancel the subscription of our sister company', maya)).toBe(
      true,
    );
  });

  it("does not flag the customer's own names, products, plans or days", () => {
    expect(namesAnotherParty("Maya's invoice for October please", maya)).toBe(false);
    expect(namesAnotherParty("Brightpath's subscription should move to Business", maya)).toBe(false);
    expect(namesAnotherParty('Can I move my call to Monday? Lumen Pro is great by the way', maya)).toBe(
      false,
    );
    expect(namesAnotherParty('I was charged twice for the Pro plan in November', maya)).toBe(false);
  });

  it('needs something of an account to be asked about', () => {
    expect(namesAnotherParty("Omar's team loves the dashboards", maya)).toBe(false);
  });
});
