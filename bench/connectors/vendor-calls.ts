/**
 * Vendor calls per procedure and latency per operation, with billing on Stripe, CRM on HubSpot,
 * ticketing on Zendesk and calendar on Google, each against its local fake (the environment of
 * `npm run eval -- --systems vendor-fakes`). Plays every scenario of a suite once with the scripted
 * customer; the calls of the world's seeding are not counted, only those the agent's turns made.
 *
 *   npm run bench:connectors -- --systems vendor-fakes [--suite evals/suites/core] [--filter text]
 *
 * Prints, per scenario tag (one procedure each in the core suite), the median and maximum number of
 * vendor HTTP requests a conversation made, and which requests; per gateway operation, its calls
 * and p50/p95 latency from the audit log (pipeline + vendor round trip). The pipeline's own
 * overhead per call is `bench/connectors/pipeline-overhead.ts`.
 */
import { parseArgs } from 'node:util';
import { createVendorEvalEnvironment } from '../../app/vendor-eval-environment.ts';
import { evalConfigSchema } from '../../config/eval.ts';
import { loadConfig } from '../../config/load.ts';
import type { ScenarioEnvironment } from '../../evals/environment.ts';
import { loadSuite } from '../../evals/load-suite.ts';
import { runScenario } from '../../evals/run-scenario.ts';
import { createScriptedCustomer } from '../../evals/simulated-customer.ts';

const { values } = parseArgs({
  options: {
    systems: { type: 'string', default: 'vendor-fakes' },
    suite: { type: 'string', default: 'evals/suites/core' },
    filter: { type: 'string' },
  },
});
if (values.systems !== 'vendor-fakes') {
  throw new Error('this benchmark measures vendor calls: run it with --systems vendor-fakes');
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
};
const percentile = (numbers: number[], p: number) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

const suite = await loadSuite(values.suite);
const scenarios = suite.scenarios.filter(
  (loaded) => !values.filter || loaded.scenario.id.includes(values.filter),
);
const environment = await createVendorEvalEnvironment({
  reasoner: 'local',
  index: 0,
  config: loadConfig(evalConfigSchema, {}),
});
const { fakes } = environment;
type Vendor = 'stripe' | 'hubspot' | 'zendesk' | 'google';
// Each fake records the requests it answered (Google's in its state).
const vendors: Record<Vendor, { requests: unknown[] }> = {
  stripe: fakes.stripe,
  hubspot: fakes.hubspot,
  zendesk: fakes.zendesk,
  google: fakes.google.state,
};

// The requests of the seeding are behind these marks; the agent's come after them.
let marks: Record<Vendor, number> = { stripe: 0, hubspot: 0, zendesk: 0, google: 0 };
const marking: ScenarioEnvironment = {
  ...environment,
  async prepare(scenario, options) {
    const prepared = await environment.prepare(scenario, options);
    marks = Object.fromEntries(
      Object.entries(vendors).map(([name, fake]) => [name, fake.requests.length]),
    ) as Record<Vendor, number>;
    return prepared;
  },
};

const operationName = (vendor: Vendor, request: unknown): string => {
  const named = request as { operation?: string; method?: string; path?: string; url?: string };
  return `${vendor}:${named.operation ?? `${named.method ?? ''} ${named.path ?? named.url ?? ''}`.trim()}`;
};

const perTag = new Map<string, { counts: number[]; requests: Map<string, number> }>();
const byOperation = new Map<string, number[]>();
let passed = 0;
for (const loaded of scenarios) {
  const result = await runScenario({
    environment: marking,
    loaded,
    baseline: 'none',
    run: 0,
    createCustomer: createScriptedCustomer,
  });
  if (result.passed) passed += 1;
  const made: string[] = [];
  for (const [vendor, fake] of Object.entries(vendors) as Array<[Vendor, { requests: unknown[] }]>) {
    for (const request of fake.requests.slice(marks[vendor])) made.push(operationName(vendor, request));
  }
  const tag = loaded.scenario.tags[0] ?? '(untagged)';
  const entry = perTag.get(tag) ?? { counts: [] as number[], requests: new Map<string, number>() };
  entry.counts.push(made.length);
  for (const name of made) entry.requests.set(name, (entry.requests.get(name) ?? 0) + 1);
  perTag.set(tag, entry);
  // The audit log is emptied with the world before the next scenario: read this one's calls now.
  const { rows } = await environment.database.pool.query<{ op: string; latency_ms: number }>(
    `SELECT connector_id || '.' || operation AS op, latency_ms FROM audit_log
     WHERE connector_id IN ('billing', 'crm', 'ticketing', 'calendar') AND actor <> 'human'`,
  );
  for (const row of rows)
    byOperation.set(row.op, [...(byOperation.get(row.op) ?? []), Number(row.latency_ms)]);
}
await environment.close();

console.log(`${scenarios.length} scenarios of ${values.suite} on the vendor fakes (${passed} passed)\n`);
console.log('vendor HTTP requests per conversation, by scenario tag: median / max (scenarios) — requests');
for (const [tag, entry] of [...perTag.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  const detail = [...entry.requests.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => `${name}×${count}`)
    .join(', ');
  console.log(
    `  ${tag.padEnd(18)} ${String(median(entry.counts)).padStart(3)} / ${String(Math.max(...entry.counts)).padStart(3)} (${entry.counts.length})  ${detail}`,
  );
}
console.log('\ngateway operations against the fakes: calls, p50 / p95 latency (ms)');
for (const [op, latencies] of [...byOperation.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(
    `  ${op.padEnd(36)} ${String(latencies.length).padStart(5)}  ${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 95).toFixed(1)}`,
  );
}
