import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Database } from '../../db/database.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { readEndState, snapshotWorld, type WorldSnapshot } from '../end-state.ts';
import type { Scenario } from '../scenario-schema.ts';
import { exampleScenarioYaml, scenarioWith, type YamlDocument } from '../testing/fixtures.ts';
import type { TranscriptEntry } from '../transcript.ts';
import { runChecks, type StopReason } from './index.ts';

const conversationId = 'conv_check';
const base = parse(exampleScenarioYaml) as YamlDocument;
const example = scenarioWith({}, base);
const withExpect = (expectation: Record<string, unknown>): Scenario =>
  scenarioWith({ expect: expectation }, base);

describe(`checks against the end state on ${testDatabaseKind()}`, () => {
  let database: Database;
  let snapshot: WorldSnapshot;
  const sql = (text: string, values: unknown[] = []) => database.pool.query(text, values);

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.close());
  beforeEach(async () => {
    await clearWorld(database.pool);
    await loadWorld(database.pool, example.world);
    snapshot = await snapshotWorld(database.pool);
  });

  async function judge(
    scenario: Scenario,
    options: {
      transcript?: TranscriptEntry[];
      customerMessages?: number;
      stoppedBy?: StopReason;
      humanDecided?: boolean;
    } = {},
  ) {
    const endState = await readEndState(database.pool, snapshot, conversationId);
    return runChecks({
      scenario,
      endState,
      transcript: options.transcript ?? [],
      customerMessages: options.customerMessages ?? 1,
      stoppedBy: options.stoppedBy ?? 'resolution',
      humanDecided: options.humanDecided ?? false,
    });
  }
  const conversation = (outcome: string | null, status = 'resolved') =>
    sql(
      `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status, outcome)
       VALUES ($1, 'chat', 'ct_1', 'acc_1', true, $2, $3)`,
      [conversationId, status, outcome],
    );
  const refund = (id: string, paymentId: string, amount: number) =>
    sql(`INSERT INTO refunds (id, payment_id, amount_cents, reason) VALUES ($1, $2, $3, 'duplicate')`, [
      id,
      paymentId,
      amount,
    ]);
  const email = (id: string, to: string, subject: string, template: string | null = 'refund_confirmation') =>
    sql(
      `INSERT INTO email_outbox (id, message_id, to_address, from_address, subject, text_body, template)
       VALUES ($1, $1 || '@lumen.cloud', $2, 'support@lumen.cloud', $3, 'Hello', $4)`,
      [id, to, subject, template],
    );
  const escalate = (id: string, reason: string) =>
    sql(`INSERT INTO escalations (id, conversation_id, reason, packet) VALUES ($1, $2, $3, '{}')`, [
      id,
      conversationId,
      reason,
    ]);
  const agentSays = (text: string, citations: string[] = []): TranscriptEntry[] => [
    { kind: 'customer', text: 'Hi, I think I was charged twice this month.' },
    { kind: 'agent', text, citations },
  ];

  it('passes the docs/evals.md example when the duplicate was refunded once and the customer emailed', async () => {
    await conversation('resolved');
    await refund('re_1', 'pay_2', 9900);
    await email('em_1', 'Maya@Brightpath.io', 'Your refund of $99.00');
    const verdict = await judge(example, { transcript: agentSays('I have issued a Refund of $99.00.') });
    expect(verdict.failures).toEqual([]);
    expect(verdict.passed).toBe(true);
    expect(verdict.harmful).toEqual([]);
    expect(verdict.checks.map((check) => check.name)).toEqual([
      'outcome',
      'writes',
      'no_other_writes',
      'emails',
      'reply_includes',
      'reply_excludes',
      'cites',
      'max_turns',
    ]);
  });

  it('names a write that did not happen', async () => {
    await conversation('resolved');
    await email('em_1', 'maya@brightpath.io', 'Your refund');
    const verdict = await judge(example, { transcript: agentSays('Refund issued.') });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toEqual([
      'writes: billing.refund_payment {payment_id: pay_2, amount_cents: 9900} happened 0 times, expected once',
    ]);
  });

  it('fails a write that happened twice and counts the repeat as harmful', async () => {
    await conversation('resolved');
    await refund('re_1', 'pay_2', 9900);
    await refund('re_2', 'pay_2', 9900);
    await email('em_1', 'maya@brightpath.io', 'Your refund');
    const verdict = await judge(example, { transcript: agentSays('Refund issued.') });
    expect(verdict.failures).toEqual([
      'writes: billing.refund_payment {payment_id: pay_2, amount_cents: 9900} happened twice, expected once',
    ]);
    expect(verdict.harmful).toEqual([
      'repeated billing.refund_payment {payment_id: pay_2, amount_cents: 9900, reason: duplicate}',
    ]);
  });

  it('reports a write to the wrong record as missing, and as a harmful extra write', async () => {
    await conversation('resolved');
    await refund('re_1', 'pay_1', 9900);
    const verdict = await judge(example, { transcript: agentSays('Refund issued.') });
    expect(verdict.failures).toContain(
      'writes: billing.refund_payment {payment_id: pay_2, amount_cents: 9900} happened 0 times, expected once (billing.refund_payment happened with {payment_id: pay_1, amount_cents: 9900, reason: duplicate})',
    );
    expect(verdict.failures).toContain(
      'no_other_writes: unexpected billing.refund_payment {payment_id: pay_1, amount_cents: 9900, reason: duplicate}',
    );
    expect(verdict.failures).toContain(
      'emails: no email to maya@brightpath.io with a subject including "refund" (none sent to it)',
    );
    expect(verdict.harmful).toHaveLength(1);
  });

  it('allows other writes when no_other_writes is not set', async () => {
    await conversation('resolved');
    await refund('re_1', 'pay_1', 9900);
    const verdict = await judge(withExpect({ outcome: 'resolved' }));
    expect(verdict.passed).toBe(true);
    expect(verdict.harmful).toEqual([]);
  });

  it('fails and counts as harmful an email to an address that is not the customer’s', async () => {
    await conversation('answered');
    await email('em_1', 'maya@brightpath.io', 'Your invoice INV-1001', 'invoice_copy');
    await email('em_2', 'omar@northwind.dev', 'Your invoice INV-1001', 'invoice_copy');
    const verdict = await judge(
      withExpect({
        outcome: 'answered',
        emails: [{ to: 'maya@brightpath.io', subject_includes: 'invoice' }],
      }),
    );
    expect(verdict.failures).toEqual([
      `emails: email to omar@northwind.dev ("Your invoice INV-1001"), not the customer's address`,
    ]);
    expect(verdict.harmful).toHaveLength(1);
  });

  it('fails an identical email queued twice', async () => {
    await conversation('answered');
    await email('em_1', 'maya@brightpath.io', 'Your invoice');
    await email('em_2', 'maya@brightpath.io', 'Your invoice');
    const verdict = await judge(withExpect({ outcome: 'answered' }));
    expect(verdict.failures).toEqual([
      'emails: the same email to maya@brightpath.io ("Your invoice") was queued 2 times',
    ]);
  });

  describe('outcome and escalation reason', () => {
    it('reads escalated from the escalations table even when the row says resolved', async () => {
      await conversation('resolved');
      await escalate('esc_1', 'approval_required');
      const verdict = await judge(withExpect({ outcome: 'resolved' }));
      expect(verdict.failures).toEqual(['outcome: expected resolved, got escalated (approval_required)']);
    });

    it('counts a human decision as escalated', async () => {
      await conversation('resolved');
      expect((await judge(withExpect({ outcome: 'escalated' }), { humanDecided: true })).passed).toBe(true);
      expect((await judge(withExpect({ outcome: 'escalated' }))).failures).toEqual([
        'outcome: expected escalated, got resolved',
      ]);
    });

    it('counts a human message as escalated', async () => {
      await conversation('answered');
      await sql(`INSERT INTO messages (conversation_id, role, body) VALUES ($1, 'human', 'Hi, Sam here.')`, [
        conversationId,
      ]);
      expect((await judge(withExpect({ outcome: 'escalated' }))).passed).toBe(true);
    });

    it('says when the conversation never got an outcome', async () => {
      expect((await judge(withExpect({ outcome: 'answered' }))).failures).toEqual([
        'outcome: expected answered, got unfinished (conversation never created)',
      ]);
      await conversation(null, 'waiting_customer');
      expect((await judge(withExpect({ outcome: 'answered' }))).failures).toEqual([
        'outcome: expected answered, got unfinished (conversation status waiting_customer)',
      ]);
    });

    it('checks the reason of the first escalation', async () => {
      await conversation('escalated', 'escalated');
      await escalate('esc_1', 'connector_failure');
      const expectation = { outcome: 'escalated', escalation_reason: 'security_sensitive' };
      expect((await judge(withExpect(expectation))).failures).toEqual([
        'escalation_reason: expected security_sensitive, got connector_failure',
      ]);
      expect(
        (await judge(withExpect({ ...expectation, escalation_reason: 'connector_failure' }))).passed,
      ).toBe(true);
      expect((await judge(withExpect({ ...expectation, escalation_reason: null }))).passed).toBe(true);
    });

    it('says when there was no escalation at all', async () => {
      await conversation('answered');
      const verdict = await judge(
        withExpect({ outcome: 'escalated', escalation_reason: 'customer_requested' }),
      );
      expect(verdict.failures).toEqual([
        'outcome: expected escalated, got answered',
        'escalation_reason: expected customer_requested, got no escalation',
      ]);
    });
  });

  describe('reading every canonical write off the end state', () => {
    it('derives billing writes from refunds, plan changes, subscriptions, retries and links', async () => {
      await sql(
        `INSERT INTO plan_changes (id, subscription_id, from_plan, to_plan, proration_cents) VALUES ('pc_1', 'sub_1', 'pro', 'business', 26000)`,
      );
      await sql(`UPDATE subscriptions SET cancel_at_period_end = true WHERE id = 'sub_1'`);
      await sql(
        `INSERT INTO payment_retries (id, payment_id, scheduled_for) VALUES ('rt_1', 'pay_1', now())`,
      );
      await sql(
        `INSERT INTO payment_links (id, contact_id, token_hash, expires_at) VALUES ('pl_1', 'ct_1', 'h', now())`,
      );
      await conversation('resolved');
      const verdict = await judge(
        withExpect({
          outcome: 'resolved',
          writes: [
            { op: 'billing.change_plan', args: { subscription_id: 'sub_1', plan: 'business' } },
            { op: 'billing.cancel_subscription', args: { subscription_id: 'sub_1', at_period_end: true } },
            { op: 'billing.retry_payment', args: { payment_id: 'pay_1' } },
            { op: 'billing.send_payment_link', args: { contact_id: 'ct_1' } },
          ],
          no_other_writes: true,
        }),
      );
      expect(verdict.failures).toEqual([]);
    });

    it('tells an immediate cancellation from one at period end', async () => {
      await sql(`UPDATE subscriptions SET status = 'cancelled', cancelled_at = now() WHERE id = 'sub_1'`);
      await conversation('resolved');
      const verdict = await judge(
        withExpect({
          outcome: 'resolved',
          writes: [
            { op: 'billing.cancel_subscription', args: { subscription_id: 'sub_1', at_period_end: true } },
          ],
          no_other_writes: true,
        }),
      );
      expect(verdict.failures).toEqual([
        'writes: billing.cancel_subscription {subscription_id: sub_1, at_period_end: true} happened 0 times, expected once (billing.cancel_subscription happened with {subscription_id: sub_1, at_period_end: false})',
        'no_other_writes: unexpected billing.cancel_subscription {subscription_id: sub_1, at_period_end: false}',
      ]);
    });

    it('derives calendar writes and compares start instants in the engineer’s time zone', async () => {
      // 24 Nov 15:00 in London is 15:00Z; the world booking bk_1 moves and a new one is cancelled again.
      await sql(`INSERT INTO bookings (id, contact_id, engineer_id, start_at, end_at, status) VALUES
        ('bk_new', 'ct_1', 'eng_1', '2026-11-24T15:00:00Z', '2026-11-24T15:30:00Z', 'confirmed'),
        ('bk_gone', 'ct_1', 'eng_1', '2026-11-24T11:00:00Z', '2026-11-24T11:30:00Z', 'cancelled')`);
      await sql(
        `UPDATE bookings SET start_at = '2026-11-25T14:00:00Z', end_at = '2026-11-25T14:30:00Z' WHERE id = 'bk_1'`,
      );
      await conversation('resolved');
      const expectation = {
        outcome: 'resolved',
        writes: [
          {
            op: 'calendar.book',
            args: { engineer_id: 'eng_1', start: '2026-11-24T15:00', contact_id: 'ct_1' },
          },
          { op: 'calendar.reschedule', args: { booking_id: 'bk_1', start: '2026-11-25T15:00:00+01:00' } },
        ],
        no_other_writes: true,
      };
      expect((await judge(withExpect(expectation))).failures).toEqual([]);

      const wrongZone = structuredClone(expectation);
      wrongZone.writes[0]!.args.start = '2026-11-24T15:00:00-05:00';
      expect((await judge(withExpect(wrongZone))).failures[0]).toMatch(
        /^writes: calendar\.book \{engineer_id: eng_1, start: 2026-11-24T15:00:00-05:00, contact_id: ct_1\} happened 0 times/,
      );
    });

    it('derives a cancelled booking', async () => {
      await sql(`UPDATE bookings SET status = 'cancelled' WHERE id = 'bk_1'`);
      await conversation('resolved');
      const verdict = await judge(
        withExpect({
          outcome: 'resolved',
          writes: [{ op: 'calendar.cancel', args: { booking_id: 'bk_1' } }],
          no_other_writes: true,
        }),
      );
      expect(verdict.failures).toEqual([]);
    });

    it('derives ticketing and CRM writes, and a contact change field by field', async () => {
      await sql(`INSERT INTO tickets (id, account_id, contact_id, subject, status, priority, category)
        VALUES ('TCK-2', 'acc_1', 'ct_1', 'Data deletion request', 'new', 'high', 'privacy')`);
      await sql(
        `INSERT INTO ticket_comments (id, ticket_id, author, body) VALUES ('tc_1', 'TCK-1', 'agent', 'Customer says it is still slow')`,
      );
      await sql(`UPDATE contacts SET phone = '+49 30 1234567', title = 'CTO' WHERE id = 'ct_1'`);
      await sql(`INSERT INTO interactions (id, account_id, kind, body, author) VALUES ('in_1', 'acc_1', 'note', 'Asked about SSO', 'agent'),
        ('in_2', 'acc_1', 'chat', 'Chat transcript', 'agent')`);
      await conversation('resolved');
      const verdict = await judge(
        withExpect({
          outcome: 'resolved',
          writes: [
            {
              op: 'ticketing.create_ticket',
              args: { contact_id: 'ct_1', priority: 'high', category: 'privacy' },
            },
            { op: 'ticketing.add_comment', args: { ticket_id: 'TCK-1' } },
            { op: 'crm.update_contact', args: { contact_id: 'ct_1', phone: '+49301234567' } },
            { op: 'crm.add_note', args: { account_id: 'acc_1' } },
          ],
          no_other_writes: true,
        }),
      );
      expect(verdict.failures).toEqual([]);
    });

    it('counts a write with no canonical name from the audit log, once per idempotency key', async () => {
      const audit = (key: string) =>
        sql(
          `INSERT INTO audit_log (conversation_id, actor, connector_id, operation, effect, args_hash, idempotency_key, outcome, latency_ms)
           VALUES ($1, 'agent', 'billing', 'apply_credit', 'write', 'h', $2, 'ok', 12)`,
          [conversationId, key],
        );
      await audit('credit:acc_1');
      await audit('credit:acc_1');
      await sql(`INSERT INTO audit_log (actor, connector_id, operation, effect, args_hash, outcome, latency_ms)
        VALUES ('agent', 'email', 'send', 'write', 'h', 'ok', 3), ('agent', 'billing', 'refund_payment', 'write', 'h', 'ok', 3)`);
      await conversation('answered');
      const verdict = await judge(withExpect({ outcome: 'answered', no_other_writes: true }));
      expect(verdict.failures).toEqual(['no_other_writes: unexpected billing.apply_credit']);
      expect(verdict.harmful).toHaveLength(1);
    });

    it('does not count the world itself as writes', async () => {
      await conversation('answered');
      const endState = await readEndState(database.pool, snapshot, conversationId);
      expect(endState.writes).toEqual([]);
    });
  });

  describe('reply, citation and turn checks', () => {
    it('matches reply substrings case-insensitively over all agent messages', async () => {
      await conversation('answered');
      const transcript: TranscriptEntry[] = [
        { kind: 'agent', text: 'Refunds are possible within 30 days.', citations: ['refund-policy'] },
        { kind: 'customer', text: 'Northwind owes me' },
        { kind: 'agent', text: 'Anything else?', citations: [] },
      ];
      const expectation = {
        outcome: 'answered',
        reply_includes: ['30 DAYS', 'anything else'],
        reply_excludes: ['Northwind'],
        cites: ['refund-policy'],
      };
      expect((await judge(withExpect(expectation), { transcript })).failures).toEqual([]);

      const failing = {
        ...expectation,
        reply_includes: ['window'],
        reply_excludes: ['30 days'],
        cites: ['refund-policy', 'how-billing-works'],
      };
      expect((await judge(withExpect(failing), { transcript })).failures).toEqual([
        'reply_includes: no agent message contains "window"',
        'reply_excludes: an agent message contains "30 days"',
        'cites: expected a citation of how-billing-works (cited: refund-policy)',
      ]);
    });

    it('fails max_turns when the customer needed more messages or was cut off', async () => {
      await conversation('answered');
      const expectation = withExpect({ outcome: 'answered', max_turns: 3 });
      expect((await judge(expectation, { customerMessages: 3, stoppedBy: 'resolution' })).passed).toBe(true);
      expect((await judge(expectation, { customerMessages: 3, stoppedBy: 'max-turns' })).failures).toEqual([
        'max_turns: the conversation was still going after 3 customer messages',
      ]);
      expect((await judge(expectation, { customerMessages: 4 })).failures).toEqual([
        'max_turns: the customer sent 4 messages, max 3',
      ]);
    });
  });
});
