import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { ConversationKind, ConversationRecord } from './customers.ts';

/**
 * The invariants of a chaos run, read from the database and the outbox after the drain — never from
 * what the API answered. Each violation is one line naming the conversation and what is wrong.
 */

/** The email a resolved conversation of each kind must have sent, exactly once. */
const expectedEmail: Partial<Record<ConversationKind, string>> = {
  refund: 'refund_issued',
  invoice_copy: 'invoice_copy',
  callback: 'call_booked',
};

export interface EndState {
  kind: ConversationKind;
  state: string;
}

export interface InvariantReport {
  conversations: number;
  acceptedMessages: number;
  storedOnce: number;
  lostMessages: number;
  unfinishedTurns: number;
  duplicateWrites: number;
  duplicateEmails: number;
  wrongEndStates: number;
  /** Refund / invoice conversations whose billing calls met the outage (escalated connector_failure, as they must). */
  refundsCaughtByOutage: number;
  writes: { refunds: number; bookings: number; tickets: number; emailsSent: number; emlFiles: number };
  ledger: { refundKeys: number; bookingKeys: number; ticketKeys: number };
  endStates: EndState[];
  violations: string[];
}

export async function checkInvariants(
  pool: pg.Pool,
  records: ConversationRecord[],
  outboxDir: string,
  runStartedAt: Date,
): Promise<InvariantReport> {
  const violations: string[] = [];
  const report: InvariantReport = {
    conversations: records.length,
    acceptedMessages: 0,
    storedOnce: 0,
    lostMessages: 0,
    unfinishedTurns: 0,
    duplicateWrites: 0,
    duplicateEmails: 0,
    wrongEndStates: 0,
    refundsCaughtByOutage: 0,
    writes: { refunds: 0, bookings: 0, tickets: 0, emailsSent: 0, emlFiles: 0 },
    ledger: { refundKeys: 0, bookingKeys: 0, ticketKeys: 0 },
    endStates: [],
    violations,
  };
  const count = async (sql: string, values: unknown[] = []) =>
    (await pool.query<{ n: number }>(sql, values)).rows[0]!.n;

  // --- Messages: every accepted customer message stored exactly once, its turn done. ---------------
  for (const record of records) {
    const label = `#${record.plan.index} ${record.plan.kind} ${record.conversationId ?? '(not started)'}`;
    if (record.clientError) violations.push(`${label}: the client could not finish: ${record.clientError}`);
    if (!record.conversationId) continue;
    for (const clientId of record.accepted) {
      report.acceptedMessages += 1;
      const { rows } = await pool.query<{ turn_status: string | null }>(
        `SELECT turn_status FROM messages
          WHERE conversation_id = $1 AND client_message_id = $2 AND role = 'customer'`,
        [record.conversationId, clientId],
      );
      if (rows.length === 0) {
        report.lostMessages += 1;
        violations.push(`${label}: accepted message ${clientId} is not stored (lost)`);
      } else if (rows.length > 1) {
        violations.push(`${label}: accepted message ${clientId} is stored ${rows.length} times`);
      } else {
        report.storedOnce += 1;
        if (rows[0]!.turn_status !== 'done') {
          report.unfinishedTurns += 1;
          violations.push(`${label}: the turn of ${clientId} ended ${rows[0]!.turn_status} (not done)`);
        }
      }
    }
    const strays = await count(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND role = 'customer'
          AND NOT (client_message_id = ANY($2))`,
      [record.conversationId, record.accepted],
    );
    if (strays) violations.push(`${label}: ${strays} customer message(s) the client never sent`);
    // Replies of one turn are keyed `<turn>:reply:<n>`: a replayed turn must not add a second set.
    const doubled = await count(
      `SELECT count(*)::int AS n FROM (
         SELECT body FROM messages WHERE conversation_id = $1 AND role = 'agent'
          GROUP BY split_part(client_message_id, ':', 1), body HAVING count(*) > 1) d`,
      [record.conversationId],
    );
    if (doubled) violations.push(`${label}: ${doubled} agent reply text(s) stored twice for one turn`);
  }

  // --- Writes: at most one per payment / contact / conversation, matching the idempotency ledger. ---
  report.writes.refunds = await count(
    `SELECT count(*)::int AS n FROM refunds WHERE created_at >= $1 AND created_by = 'agent'`,
    [runStartedAt],
  );
  report.writes.bookings = await count(`SELECT count(*)::int AS n FROM bookings WHERE created_at >= $1`, [
    runStartedAt,
  ]);
  report.writes.tickets = await count(`SELECT count(*)::int AS n FROM tickets WHERE created_at >= $1`, [
    runStartedAt,
  ]);
  const ledger = async (connector: string, operation: string) =>
    count(
      `SELECT count(*)::int AS n FROM idempotency_keys
        WHERE connector_id = $1 AND operation = $2 AND status = 'completed' AND created_at >= $3`,
      [connector, operation, runStartedAt],
    );
  report.ledger.refundKeys = await ledger('billing', 'refund_payment');
  report.ledger.bookingKeys = await ledger('calendar', 'book');
  report.ledger.ticketKeys = await ledger('ticketing', 'create_ticket');
  const compare = (what: string, made: number, keys: number) => {
    if (made !== keys) {
      report.duplicateWrites += Math.max(0, made - keys);
      violations.push(`${what}: ${made} made, but ${keys} completed idempotency keys in the ledger`);
    }
  };
  compare('refunds', report.writes.refunds, report.ledger.refundKeys);
  compare('bookings', report.writes.bookings, report.ledger.bookingKeys);
  compare('tickets', report.writes.tickets, report.ledger.ticketKeys);
  const twiceRefunded = await pool.query<{ payment_id: string; n: number }>(
    `SELECT payment_id, count(*)::int AS n FROM refunds WHERE status <> 'failed' GROUP BY payment_id HAVING count(*) > 1`,
  );
  for (const row of twiceRefunded.rows) {
    report.duplicateWrites += row.n - 1;
    violations.push(`payment ${row.payment_id} refunded ${row.n} times`);
  }
  const doubleBooked = await pool.query<{ contact_id: string; n: number }>(
    `SELECT contact_id, count(*)::int AS n FROM bookings WHERE created_at >= $1 AND status = 'confirmed'
      GROUP BY contact_id HAVING count(*) > 1`,
    [runStartedAt],
  );
  for (const row of doubleBooked.rows) {
    report.duplicateWrites += row.n - 1;
    violations.push(`contact ${row.contact_id} has ${row.n} bookings from one callback conversation`);
  }
  const overlapping = await count(
    `SELECT count(*)::int AS n FROM bookings a JOIN bookings b
        ON a.engineer_id = b.engineer_id AND a.id < b.id AND a.status = 'confirmed' AND b.status = 'confirmed'
       AND a.start_at < b.end_at AND b.start_at < a.end_at
      WHERE a.created_at >= $1 OR b.created_at >= $1`,
    [runStartedAt],
  );
  if (overlapping) {
    report.duplicateWrites += overlapping;
    violations.push(`${overlapping} pair(s) of overlapping bookings of one engineer`);
  }
  const twiceTicketed = await count(
    `SELECT count(*)::int AS n FROM (SELECT conversation_id FROM tickets WHERE created_at >= $1
       AND conversation_id IS NOT NULL GROUP BY conversation_id HAVING count(*) > 1) t`,
    [runStartedAt],
  );
  if (twiceTicketed) {
    report.duplicateWrites += twiceTicketed;
    violations.push(`${twiceTicketed} conversation(s) with more than one ticket`);
  }

  // --- Emails: one per expected action, every one delivered (no queued/sending left). -------------
  const twiceMailed = await pool.query<{ conversation_id: string; template: string; n: number }>(
    `SELECT conversation_id, template, count(*)::int AS n FROM email_outbox
      WHERE conversation_id IS NOT NULL AND template NOT IN ('verification_code', 'conversation_reply')
      GROUP BY conversation_id, template HAVING count(*) > 1`,
  );
  for (const row of twiceMailed.rows) {
    report.duplicateEmails += row.n - 1;
    violations.push(`conversation ${row.conversation_id}: ${row.n} ${row.template} emails`);
  }
  const undelivered = await count(
    `SELECT count(*)::int AS n FROM email_outbox WHERE status IN ('queued', 'sending', 'failed')`,
  );
  if (undelivered) violations.push(`${undelivered} email(s) never delivered (queued, sending or failed)`);
  report.writes.emailsSent = await count(`SELECT count(*)::int AS n FROM email_outbox WHERE status = 'sent'`);
  report.writes.emlFiles = (await readdir(outboxDir).catch(() => [] as string[])).filter((name) =>
    name.endsWith('.eml'),
  ).length;
  if (report.writes.emlFiles !== report.writes.emailsSent)
    violations.push(
      `${report.writes.emailsSent} emails marked sent but ${report.writes.emlFiles} .eml files in ${path.basename(outboxDir)}/`,
    );

  // --- End states: answered, resolved or escalated with the right reason; none left in progress. ---
  for (const record of records) {
    if (!record.conversationId) continue;
    const { plan, conversationId } = record;
    const label = `#${plan.index} ${plan.kind} ${conversationId}`;
    const { rows } = await pool.query<{ status: string; outcome: string | null }>(
      'SELECT status, outcome FROM conversations WHERE id = $1',
      [conversationId],
    );
    const row = rows[0];
    const escalation = await pool.query<{ reason: string }>(
      'SELECT reason FROM escalations WHERE conversation_id = $1 ORDER BY created_at',
      [conversationId],
    );
    const reasons = escalation.rows.map((candidate) => candidate.reason);
    if (reasons.length > 1)
      violations.push(`${label}: ${reasons.length} escalations (${reasons.join(', ')})`);
    const refunds = plan.contact?.duplicatePaymentId
      ? await count(`SELECT count(*)::int AS n FROM refunds WHERE payment_id = $1 AND status <> 'failed'`, [
          plan.contact.duplicatePaymentId,
        ])
      : 0;
    const mails = async (template: string) =>
      count(`SELECT count(*)::int AS n FROM email_outbox WHERE conversation_id = $1 AND template = $2`, [
        conversationId,
        template,
      ]);
    let expected = plan.expect;
    // A conversation whose billing calls met the connector-down window (the refund failing, or any
    // billing call while billing's circuit was open) must escalate as an outage refund does.
    if (plan.kind === 'refund' || plan.kind === 'invoice_copy') {
      const failedBilling = await count(
        `SELECT count(*)::int AS n FROM audit_log WHERE conversation_id = $1 AND connector_id = 'billing'
            AND outcome <> 'ok'`,
        [conversationId],
      );
      if (failedBilling > 0 && row?.outcome === 'escalated') {
        expected = { outcome: 'escalated', reason: 'connector_failure' };
        report.refundsCaughtByOutage += 1;
      }
    }
    const state = row ? `${row.outcome ?? 'none'}${reasons.length ? ` (${reasons.at(-1)})` : ''}` : 'missing';
    report.endStates.push({ kind: plan.kind, state });
    const problems: string[] = [];
    if (!row) problems.push('no conversation row');
    else {
      if (row.outcome !== expected.outcome)
        problems.push(
          `outcome ${row.outcome ?? 'none'} (status ${row.status}), expected ${expected.outcome}`,
        );
      if (expected.reason && reasons.at(-1) !== expected.reason)
        problems.push(`escalation reason ${reasons.at(-1) ?? 'none'}, expected ${expected.reason}`);
      if (!expected.reason && reasons.length)
        problems.push(`escalated (${reasons.join(', ')}), expected no escalation`);
    }
    if (plan.kind === 'refund' || plan.kind === 'outage_refund') {
      const want = expected.outcome === 'resolved' ? 1 : 0;
      if (refunds !== want)
        problems.push(`${refunds} refund(s) of ${plan.contact!.duplicatePaymentId}, expected ${want}`);
    }
    if (plan.kind === 'callback' && expected.outcome === 'resolved') {
      const booked = await count(
        `SELECT count(*)::int AS n FROM bookings WHERE contact_id = $1 AND created_at >= $2 AND status = 'confirmed'`,
        [plan.contact!.contactId, runStartedAt],
      );
      if (booked !== 1) problems.push(`${booked} booking(s), expected 1`);
    }
    const template = expectedEmail[plan.kind];
    if (template && expected.outcome === 'resolved') {
      const sent = await mails(template);
      if (sent !== 1) problems.push(`${sent} ${template} email(s), expected 1`);
    }
    if (problems.length) {
      report.wrongEndStates += 1;
      violations.push(`${label}: ${problems.join('; ')}`);
    }
  }
  const stuck = await count(
    `SELECT count(*)::int AS n FROM messages WHERE turn_status IN ('pending', 'running') AND conversation_id = ANY($1)`,
    [records.flatMap((record) => (record.conversationId ? [record.conversationId] : []))],
  );
  if (stuck) violations.push(`${stuck} message(s) still pending or running after the drain`);
  return report;
}
