import type { ConversationRecord } from './customers.ts';
import type { FaultKind, InjectedFault } from './faults.ts';
import { faultKinds } from './faults.ts';
import type { InvariantReport } from './invariants.ts';

const faultNames: Record<FaultKind, string> = {
  worker_sigkill: 'worker SIGKILLed mid-turn, restarted',
  redis_restart: 'Redis shut down (nosave) mid-turn, restarted empty',
  postgres_terminate: 'PostgreSQL backends terminated mid-turn',
  connector_down: 'billing.refund_payment down (admin fault API)',
};

/** The report of a chaos run as Markdown lines (printed, and pasted into docs/reliability.md). */
export function chaosReport(run: {
  date: string;
  machine: string;
  seed: number;
  concurrency: number;
  records: ConversationRecord[];
  injected: InjectedFault[];
  result: InvariantReport;
  seconds: { wall: number; load: number; drain: number };
}): string[] {
  const { result } = run;
  const faultRows = faultKinds.map((kind) => {
    const ofKind = run.injected.filter((fault) => fault.kind === kind);
    const midTurn = ofKind.filter((fault) => fault.runningTurns > 0).length;
    return `| ${faultNames[kind]} | ${ofKind.length} | ${midTurn} |`;
  });
  const check = (ok: boolean) => (ok ? 'ok' : '**VIOLATED**');
  const invariantRows = [
    `| accepted customer messages stored exactly once | ${result.storedOnce} / ${result.acceptedMessages} | all | ${check(result.storedOnce === result.acceptedMessages)} |`,
    `| lost customer messages | ${result.lostMessages} | 0 | ${check(result.lostMessages === 0)} |`,
    `| turns not done after the drain | ${result.unfinishedTurns} | 0 | ${check(result.unfinishedTurns === 0)} |`,
    `| duplicate writes (refunds, bookings, tickets vs the idempotency ledger) | ${result.duplicateWrites} | 0 | ${check(result.duplicateWrites === 0)} |`,
    `| duplicate emails (per conversation and template) | ${result.duplicateEmails} | 0 | ${check(result.duplicateEmails === 0)} |`,
    `| conversations not at their expected end | ${result.wrongEndStates} | 0 | ${check(result.wrongEndStates === 0)} |`,
    `| violations in all | ${result.violations.length} | 0 | ${check(result.violations.length === 0)} |`,
  ];
  const kinds = [...new Set(result.endStates.map((state) => state.kind))];
  const endRows = kinds.map((kind) => {
    const states = result.endStates.filter((state) => state.kind === kind);
    const tally = new Map<string, number>();
    for (const state of states) tally.set(state.state, (tally.get(state.state) ?? 0) + 1);
    const expected = run.records.find((record) => record.plan.kind === kind)!.plan.expect;
    return `| ${kind} | ${states.length} | ${expected.outcome}${expected.reason ? ` (${expected.reason})` : ''} | ${[
      ...tally,
    ]
      .map(([state, n]) => `${state}: ${n}`)
      .join(', ')} |`;
  });
  const retried = run.records.reduce((sum, record) => sum + record.failedAttempts, 0);
  const unfinished = run.records.reduce((sum, record) => sum + record.unfinishedStreams, 0);
  return [
    `# Chaos run — ${run.records.length} conversations (${run.date.slice(0, 10)})`,
    '',
    `${run.date}; ${run.machine}; seed ${run.seed}; ${run.concurrency} customers at once.`,
    `Wall time ${run.seconds.wall.toFixed(0)} s (load ${run.seconds.load.toFixed(0)} s, drain ${run.seconds.drain.toFixed(0)} s).`,
    '',
    '| fault | injected | with a turn running |',
    '|---|---|---|',
    ...faultRows,
    '',
    '| invariant | measured | target | |',
    '|---|---|---|---|',
    ...invariantRows,
    '',
    '| kind | conversations | expected end | end states (outcome (escalation reason): count) |',
    '|---|---|---|---|',
    ...endRows,
    '',
    `Writes: ${result.writes.refunds} refunds (${result.ledger.refundKeys} ledger keys), ${result.writes.bookings} bookings (${result.ledger.bookingKeys}), ` +
      `${result.writes.tickets} tickets (${result.ledger.ticketKeys}); ${result.writes.emailsSent} emails sent, ${result.writes.emlFiles} .eml files. ` +
      `Refund and invoice conversations that met the billing outage (escalated connector_failure): ${result.refundsCaughtByOutage}.`,
    `Client: ${retried} requests failed and were resent with the same message id; ${unfinished} streams ended before their turn.`,
    ...(result.violations.length
      ? [
          '',
          `Violations (${result.violations.length}):`,
          ...result.violations.slice(0, 40).map((line) => `- ${line}`),
        ]
      : ['', 'No violations.']),
  ];
}
