import { describe, expect, it } from 'vitest';
import { emailTemplates, renderEmail, type TemplateName } from './index.ts';

const context = { contact: { name: 'Maya Chen', timezone: 'Europe/Berlin' }, brand: { name: 'Lumen Cloud' } };

/** A valid set of variables for every template, and what its subject must say. */
const samples: Record<TemplateName, { variables: Record<string, unknown>; subject: RegExp; body: string }> = {
  refund_issued: {
    variables: { amount_cents: 9900, payment_id: 'pay_2' },
    subject: /refund of \$99\.00/i,
    body: 'pay_2',
  },
  email_address_changed: {
    variables: { new_address: 'maya.new@brightpath.io' },
    subject: /email address .* was changed/,
    body: 'm•••@brightpath.io',
  },
  invoice_copy: {
    variables: { invoice_id: 'INV-1001', amount_cents: 9900, issued_at: '2026-11-01', status: 'paid' },
    subject: /invoice INV-1001/,
    body: '1 Nov 2026',
  },
  payment_link: {
    variables: { url: 'https://billing.lumen.example/u/abc', expires_at: '2026-11-21T09:00:00Z' },
    subject: /payment method/i,
    body: 'https://billing.lumen.example/u/abc',
  },
  plan_changed: {
    variables: { from_plan: 'starter', to_plan: 'pro', proration_cents: -1234 },
    subject: /to Pro/,
    body: '$12.34',
  },
  subscription_cancelled: {
    variables: { subscription_id: 'sub_1', period_end: '2026-12-01' },
    subject: /cancelled/,
    body: '1 Dec 2026',
  },
  call_booked: {
    variables: { booking_id: 'bk_1', engineer_name: 'Lena Vogt', start: '2026-11-23T09:00:00Z' },
    subject: /booked for Mon 23 Nov 2026, 10:00 (CET|GMT\+1)/,
    body: 'bk_1',
  },
  call_rescheduled: {
    variables: { booking_id: 'bk_1', engineer_name: 'Lena Vogt', start: '2026-11-24T13:00:00Z' },
    subject: /rescheduled/,
    body: 'Tue 24 Nov 2026, 14:00',
  },
  call_cancelled: { variables: { booking_id: 'bk_1' }, subject: /cancelled/, body: 'bk_1' },
  ticket_created: {
    variables: { ticket_id: 'T-77', subject: 'Export fails' },
    subject: /T-77/,
    body: 'Export fails',
  },
  contact_updated: {
    variables: { fields: ['phone', 'title'] },
    subject: /updated/,
    body: 'phone number, job title',
  },
  verification_code: { variables: { code: '493817' }, subject: /verification code/, body: '493817' },
  escalation_notice: { variables: { reference: 'T-77' }, subject: /follow up/, body: 'T-77' },
  conversation_reply: {
    variables: {
      paragraphs: ['Your API limit is 600 requests a minute.'],
      author: 'Sam',
      subject: 'API limits',
    },
    subject: /^Re: API limits$/,
    body: '600 requests a minute',
  },
};

describe('email templates', () => {
  it('has a sample for every template', () => {
    expect(Object.keys(samples).sort()).toEqual(Object.keys(emailTemplates).sort());
  });

  for (const [name, sample] of Object.entries(samples) as Array<
    [TemplateName, (typeof samples)[TemplateName]]
  >) {
    it(`renders ${name} as text and HTML`, () => {
      const email = renderEmail(name, sample.variables, context);
      expect(email.subject).toMatch(sample.subject);
      expect(email.text).toContain('Hi Maya,');
      expect(email.text).toContain(sample.body);
      expect(email.html).toContain('<p>Hi Maya,</p>');
      expect(email.html).toContain(sample.body.replace(/&/g, '&amp;'));
    });
  }

  it('escapes every variable in the HTML and keeps the subject on one line', () => {
    const email = renderEmail(
      'ticket_created',
      { ticket_id: 'T-1', subject: '<script>alert("x")</script>\r\nBcc: victim@example.com' },
      { ...context, contact: { ...context.contact, name: '<b>Eve</b>' } },
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<b>Eve');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it('words a negative proration as a credit', () => {
    const email = renderEmail(
      'plan_changed',
      { from_plan: 'business', to_plan: 'pro', proration_cents: -1234 },
      context,
    );
    expect(email.text).toContain('Prorated credit: $12.34');
  });

  it('rejects variables of the wrong type and non-http links', () => {
    expect(() => renderEmail('refund_issued', { amount_cents: '99' }, context)).toThrow();
    expect(() => renderEmail('verification_code', { code: 'abc' }, context)).toThrow();
    expect(() =>
      renderEmail(
        'payment_link',
        { url: 'javascript:alert(1)', expires_at: '2026-11-21T09:00:00Z' },
        context,
      ),
    ).toThrow();
  });
});
