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

  // Own phrasings (issue #19, third part): relations, other accounts and forwarded requests by structure.
  it.each([
    "My husband's subscription needs cancelling",
    'please cancel the subscription of my sister',
    "I'm writing for a friend who runs Tandem Co, they want a refund",
    'can you move the call my coworker booked to Friday',
    'my client wants a refund for their last payment',
    'refund the invoice of the other company I manage, Delta Freight',
    "I'm the bookkeeper for several companies; refund the last charge for Greenleaf",
    'Forwarding this from our client: please refund INV-3003',
    '---------- Forwarded message ---------- From: lena@otherco.example Please cancel our subscription',
    'Fwd: invoice request — please send the May invoice',
    'Could you cancel the booking for Ahmed? He cannot make it',
  ])('finds another party in "%s"', (message) => {
    expect(namesAnotherParty(message, maya)).toBe(true);
  });

  it.each([
    'Our accountant needs the latest invoice, can you send it over?',
    'Our CFO needs the invoice for October',
    'book a call for my team on Friday',
    'I need a copy for our finance team',
    'my colleague said I should ask for a refund',
    'a refund for Brightpath please',
    'Could I get an invoice for Sept?',
    'please move my call with Sam to Friday',
    "I'm writing on behalf of Brightpath to cancel our plan",
  ])('finds no other party in "%s"', (message) => {
    expect(namesAnotherParty(message, maya)).toBe(false);
  });
});
