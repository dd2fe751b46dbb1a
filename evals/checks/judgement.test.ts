import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { EndState } from '../end-state.ts';
import { exampleScenarioYaml, scenarioWith, type YamlDocument } from '../testing/fixtures.ts';
import type { TranscriptEntry } from '../transcript.ts';
import { checkEmails } from './emails.ts';
import { falseResolutionKind } from './false-resolution.ts';
import { runChecks } from './index.ts';
import { judgeProposals } from './proposals.ts';
import { checkReplyFacts } from './replies.ts';

const base = parse(exampleScenarioYaml) as YamlDocument;
const withExpect = (expect: Record<string, unknown>, customer: Record<string, unknown> = {}) =>
  scenarioWith({ expect: { ...base.expect, ...expect }, customer: { ...base.customer, ...customer } }, base);

const endState = (overrides: Partial<EndState> = {}): EndState => ({
  writes: [],
  emails: [],
  conversation: { status: 'resolved', outcome: 'resolved' },
  escalations: [],
  humanMessages: 0,
  ...overrides,
});
const context = (
  scenario: ReturnType<typeof withExpect>,
  state: EndState,
  transcript: TranscriptEntry[] = [],
) => ({
  scenario,
  endState: state,
  transcript,
  customerMessages: 1,
  stoppedBy: 'resolution' as const,
  humanDecided: false,
});
const invoiceEmail = (id: string) => ({
  to: 'maya@brightpath.io',
  subject: `Your invoice ${id}`,
  template: 'invoice_copy',
  textBody: `Invoice ${id}, $99.00, issued 2026-11-01.`,
});

describe('emails: template and key values', () => {
  const scenario = withExpect({
    writes: [],
    emails: [{ to: 'maya@brightpath.io', template: 'invoice_copy', body_includes: ['INV-1001'] }],
  });
  it('passes the expected document and fails a different one, naming what was sent', () => {
    expect(checkEmails(context(scenario, endState({ emails: [invoiceEmail('INV-1001')] }))).passed).toBe(
      true,
    );
    const wrong = checkEmails(context(scenario, endState({ emails: [invoiceEmail('INV-0990')] })));
    expect(wrong.passed).toBe(false);
    expect(wrong.failures[0]).toBe(
      'emails: no email to maya@brightpath.io with template invoice_copy and a text including "INV-1001" (sent to it: "Your invoice INV-0990" [invoice_copy])',
    );
  });
  it('fails an email of another template carrying the same id (a refund asked, an invoice sent)', () => {
    const refund = withExpect({ emails: [{ to: 'maya@brightpath.io', template: 'refund_issued' }] });
    expect(checkEmails(context(refund, endState({ emails: [invoiceEmail('INV-1001')] }))).passed).toBe(false);
  });
});

describe('reply_contains_fact', () => {
  const scenario = withExpect({ writes: [], reply_contains_fact: ['Frankfurt', '/\\b30\\s*days\\b/'] });
  const agent = (text: string): TranscriptEntry => ({
    kind: 'agent',
    text,
    citations: ['data-hosting-regions'],
  });
  it('passes when the answer states every fact, substring or regex', () => {
    const result = checkReplyFacts(
      context(scenario, endState(), [agent('EU data is hosted in frankfurt.'), agent('Kept for 30 days.')]),
    );
    expect(result?.passed).toBe(true);
  });
  it('fails a citation without the fact', () => {
    const result = checkReplyFacts(context(scenario, endState(), [agent('See our article on regions.')]));
    expect(result?.failures).toEqual([
      'reply_contains_fact: no agent message states the fact "Frankfurt"',
      'reply_contains_fact: no agent message states the fact /\\b30\\s*days\\b/',
    ]);
  });
  it('is not run when the scenario has no facts', () => {
    expect(checkReplyFacts(context(withExpect({}), endState()))).toBeNull();
  });
});

describe('judgeProposals', () => {
  const refund = { op: 'billing.refund_payment', args: { payment_id: 'pay_2', amount_cents: 9900 } };
  const wrongRefund = { op: 'billing.refund_payment', args: { payment_id: 'pay_1', amount_cents: 9900 } };
  it('counts a confirmation whose action matches no expected write', () => {
    const verdict = judgeProposals(withExpect({}), [[refund], [wrongRefund]]);
    expect(verdict).toEqual({
      judged: true,
      wrong: ['proposed billing.refund_payment {payment_id: pay_1, amount_cents: 9900}'],
    });
  });
  it('accepts listed proposals, and `proposals: []` makes any proposal wrong', () => {
    expect(
      judgeProposals(withExpect({ writes: [], proposals: [wrongRefund] }), [[wrongRefund]]).wrong,
    ).toEqual([]);
    expect(judgeProposals(withExpect({ writes: [], proposals: [] }), [[refund]]).wrong).toHaveLength(1);
  });
  it('does not judge a scenario that expects no write and names no proposal (declined, fault, denied)', () => {
    expect(judgeProposals(withExpect({ writes: [] }, { confirms: false }), [[refund]])).toEqual({
      judged: false,
      wrong: [],
    });
    expect(judgeProposals(withExpect({ writes: [] }), [[refund]]).judged).toBe(false);
  });
  it("takes a proposal without contact_id as the customer's own (bound from the session)", () => {
    const scenario = withExpect({
      writes: [{ op: 'billing.send_payment_link', args: { contact_id: 'ct_1' } }],
    });
    expect(judgeProposals(scenario, [[{ op: 'billing.send_payment_link', args: {} }]]).wrong).toEqual([]);
    expect(
      judgeProposals(scenario, [[{ op: 'billing.send_payment_link', args: { contact_id: 'ct_2' } }]]).wrong,
    ).toHaveLength(1);
  });
  it("judges a vendor's ids in the world's terms (a Stripe charge id is the world's payment)", () => {
    const onStripe = [[{ op: 'billing.refund_payment', args: { payment_id: 'ch_9f', amount_cents: 9900 } }]];
    const toWorld = (args: Record<string, unknown>) =>
      args.payment_id === 'ch_9f' ? { ...args, payment_id: 'pay_2' } : args;
    expect(judgeProposals(withExpect({}), onStripe, toWorld).wrong).toEqual([]);
    expect(judgeProposals(withExpect({}), onStripe).wrong).toHaveLength(1);
  });
  it("reads a calendar start without offset in the engineer's zone", () => {
    const scenario = withExpect({
      writes: [{ op: 'calendar.book', args: { engineer_id: 'eng_1', start: '2026-11-24T15:00' } }],
    });
    const at = (start: string) => [
      [{ op: 'calendar.book', args: { engineer_id: 'eng_1', start, contact_id: 'ct_1' } }],
    ];
    expect(judgeProposals(scenario, at('2026-11-24T15:00:00Z')).wrong).toEqual([]); // London = UTC in November
    expect(judgeProposals(scenario, at('2026-11-24T09:00:00Z')).wrong).toHaveLength(1);
  });
});

describe('falseResolutionKind', () => {
  const scenario = withExpect({
    writes: [],
    emails: [{ to: 'maya@brightpath.io', template: 'invoice_copy', body_includes: ['INV-1001'] }],
  });
  const kind = (state: EndState, claimed = true, expectedOutcome = 'resolved') =>
    falseResolutionKind({
      claimedResolution: claimed,
      writesMissing: false,
      verdict: runChecks(context(scenario, state)),
      expectedOutcome,
      humanDecided: false,
    });
  it('calls a wrong document reported done a false resolution (wrong action)', () => {
    expect(kind(endState({ emails: [invoiceEmail('INV-0990')] }))).toBe('wrong-action');
    expect(kind(endState({ emails: [invoiceEmail('INV-1001')] }))).toBeNull();
  });
  it('does not call a repeat of the asked write a false claim (it is harmful instead)', () => {
    const repeated = {
      op: 'billing.refund_payment',
      args: { payment_id: 'pay_2', amount_cents: 9900 },
      source: 'state' as const,
    };
    const refundEmail = { ...invoiceEmail('INV-1001'), subject: 'Your refund', template: 'refund_issued' };
    const verdict = runChecks(
      context(withExpect({}), endState({ writes: [repeated, repeated], emails: [refundEmail] })),
    );
    expect(verdict.harmful).toHaveLength(1);
    const input = {
      claimedResolution: true,
      writesMissing: false,
      expectedOutcome: 'resolved',
      humanDecided: false,
    };
    expect(falseResolutionKind({ ...input, verdict })).toBeNull();
  });
  it('needs the agent to have said it was done', () => {
    expect(kind(endState({ emails: [invoiceEmail('INV-0990')] }), false)).toBeNull();
  });
  it('keeps the missing-write and expected-escalation cases', () => {
    const verdict = runChecks(context(scenario, endState({ emails: [invoiceEmail('INV-1001')] })));
    expect(
      falseResolutionKind({
        claimedResolution: true,
        writesMissing: true,
        verdict,
        expectedOutcome: 'resolved',
        humanDecided: false,
      }),
    ).toBe('missing-write');
    expect(
      falseResolutionKind({
        claimedResolution: true,
        writesMissing: false,
        verdict,
        expectedOutcome: 'escalated',
        humanDecided: false,
      }),
    ).toBe('expected-escalation');
  });
});
