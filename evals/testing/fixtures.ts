import type { ScenarioResult } from '../run-scenario.ts';
import type { Scenario } from '../scenario-schema.ts';
import { validateScenario } from '../scenario-schema.ts';

/** A parsed YAML document that tests edit freely (including keys the schema rejects). */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into parsed YAML at any depth.
export type YamlDocument = Record<string, any>;

/** The duplicate-charge example of docs/evals.md with a few more records, as YAML (tests edit copies of it). */
export const exampleScenarioYaml = `id: duplicate-charge-auto-refund
title: Duplicate charge under the auto-refund limit is refunded
tags: [billing, refund]

world:
  accounts:
    - { id: acc_1, name: Brightpath, tier: pro, region: EU }
    - { id: acc_2, name: Northwind Labs, tier: business, region: NA }
  contacts:
    - { id: ct_1, account: acc_1, name: Maya Chen, email: maya@brightpath.io, timezone: Europe/Berlin }
    - { id: ct_2, account: acc_2, name: Omar Haddad, email: omar@northwind.dev, timezone: America/New_York }
  subscriptions:
    - { id: sub_1, account: acc_1, plan: pro, status: active, period_end: 2026-12-01 }
  invoices:
    - { id: INV-1001, account: acc_1, amount_cents: 9900, status: paid, issued_at: 2026-11-01 }
  payments:
    - { id: pay_1, invoice: INV-1001, amount_cents: 9900, status: succeeded, created_at: 2026-11-01T10:00:00Z }
    - { id: pay_2, invoice: INV-1001, amount_cents: 9900, status: succeeded, created_at: 2026-11-01T10:00:09Z }
  tickets:
    - { id: TCK-1, account: acc_1, contact: ct_1, subject: Dashboard slow, status: open, priority: normal, category: bug, created_at: 2026-11-10T08:00:00Z }
  engineers:
    - { id: eng_1, name: Alex Morgan, email: alex@lumen.cloud, timezone: Europe/London, hours: "09:00-17:00", days: [mon, tue, wed, thu, fri] }
  bookings:
    - { id: bk_1, contact: ct_1, engineer: eng_1, start: 2026-11-23T10:00:00Z, end: 2026-11-23T10:30:00Z, status: confirmed }
  policy:
    auto_refund_limit_cents: 20000
    refund_window_days: 30

now: 2026-11-20T09:00:00Z

customer:
  contact: ct_1
  verified: true
  channel: chat
  says:
    - "Hi, I think I was charged twice this month."
  knows:
    invoice_id: INV-1001
  confirms: true

expect:
  outcome: resolved
  escalation_reason: null
  writes:
    - { op: billing.refund_payment, args: { payment_id: pay_2, amount_cents: 9900 } }
  no_other_writes: true
  emails:
    - { to: maya@brightpath.io, subject_includes: refund }
  reply_includes: [refund]
  reply_excludes: []
  cites: []
  max_turns: 6
`;

/** A validated scenario built from the example with `expect` (and other top-level keys) replaced. */
export function scenarioWith(overrides: Record<string, unknown>, base: Record<string, unknown>): Scenario {
  const result = validateScenario({ ...base, ...overrides });
  if ('issues' in result)
    throw new Error(result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
  return result.scenario;
}

/** A result with only what the metrics read filled in. */
export function resultFixture(
  overrides: Partial<ScenarioResult> & Pick<ScenarioResult, 'id'>,
): ScenarioResult {
  return {
    title: overrides.id,
    tags: [],
    file: `evals/suites/test/${overrides.id}.yaml`,
    run: 0,
    baseline: 'none',
    conversationId: `eval_${overrides.id}`,
    passed: true,
    failures: [],
    checks: [],
    harmful: [],
    falseResolution: false,
    falseResolutionKind: null,
    claimedResolution: false,
    wrongProposals: [],
    proposalsJudged: true,
    proposals: 0,
    expectedOutcome: 'resolved',
    expectedEscalationReason: null,
    expectsAction: true,
    actualOutcome: 'resolved',
    escalationReasons: [],
    customerMessages: 1,
    stoppedBy: 'resolution',
    turnLatenciesMs: [],
    durationMs: 10,
    usage: { agent: null, customer: null },
    transcript: [],
    ...overrides,
  };
}
