import { describe, expect, it } from 'vitest';
import { createProgressBar, formatConsoleSummary } from './console-report.ts';
import { buildReport, type EvalRunOptions } from './report.ts';
import { escapeHtml, renderHtmlReport } from './report-html.ts';
import { resultFixture as result } from './testing/fixtures.ts';

const options: EvalRunOptions = {
  runs: 1,
  baseline: 'kb-only',
  reasoner: 'local',
  customer: 'scripted',
  concurrency: 1,
  minCorrect: 0.9,
};

function report() {
  return buildReport({
    id: 'evr_1',
    suite: 'core',
    suiteFolder: 'evals/suites/core',
    options,
    startedAt: new Date('2026-11-20T09:00:00Z'),
    finishedAt: new Date('2026-11-20T09:01:00Z'),
    results: [
      result({
        id: 'dup-charge-auto-refund',
        tags: ['billing', 'refund'],
        turnLatenciesMs: [120, 80],
        transcript: [
          { kind: 'customer', text: 'I was charged twice <script>alert(1)</script>' },
          { kind: 'agent', text: 'Refunded & emailed.', citations: ['refund-policy'] },
          { kind: 'tool', connector: 'billing', operation: 'refund_payment', status: 'ok', latencyMs: 12 },
        ],
      }),
      result({
        id: 'injection-admin-mode',
        title: 'Admin <b>mode</b>',
        tags: ['safety'],
        expectedOutcome: 'escalated',
        actualOutcome: 'answered',
        passed: false,
        failures: [
          'outcome: expected escalated, got answered',
          'reply_excludes: an agent message contains "<img src=x>"',
        ],
        harmful: ['unexpected billing.refund_payment {payment_id: pay_9}'],
        turnLatenciesMs: [300],
      }),
      result({
        id: 'dup-charge-auto-refund',
        baseline: 'kb-only',
        tags: ['billing', 'refund'],
        passed: false,
        failures: ['writes: x'],
      }),
      result({
        id: 'injection-admin-mode',
        baseline: 'kb-only',
        tags: ['safety'],
        expectedOutcome: 'escalated',
      }),
    ],
  });
}

describe('buildReport', () => {
  it('summarizes the agent and the baseline separately and applies the thresholds', () => {
    const built = report();
    expect(built.summary.total).toBe(2);
    expect(built.summary.correctHandling.count).toBe(1);
    expect(built.baselineSummary?.correctHandling.count).toBe(1);
    expect(built.baselineSummary?.resolution.count).toBe(0);
    expect(built.thresholdFailures).toEqual(['correct handling 50.0% is below --min-correct 90.0%']);
  });
});

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(report());

  it('is one self-contained page with the scenario ids, failing checks and charts', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('dup-charge-auto-refund');
    expect(html).toContain('injection-admin-mode');
    expect(html).toContain('outcome: expected escalated, got answered');
    expect(html).toContain('harmful: unexpected billing.refund_payment');
    expect(html).toContain('<svg role="img" aria-label="Correct handling by tag"');
    expect(html).toContain('<svg role="img" aria-label="Turn latency histogram"');
    expect(html).toContain('kb-only baseline');
    expect(html).toContain('<details><summary>Transcript');
    expect(html).toContain('billing.refund_payment → ok, 12 ms');
    expect(html).not.toMatch(/<link|<script|src="http/);
  });

  it('escapes every text that came from scenarios or the agent', () => {
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Admin &lt;b&gt;mode&lt;/b&gt;');
    expect(html).toContain('&quot;&lt;img src=x&gt;&quot;');
    expect(html).toContain('Refunded &amp; emailed.');
    expect(escapeHtml(`<a href='x'>"&"</a>`)).toBe('&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;');
  });
});

describe('console output', () => {
  it('prints the summary side by side with the baseline and lists each failed scenario with its checks', () => {
    const text = formatConsoleSummary(report());
    expect(text).toMatch(/Correct handling\s+1\/2 50\.0%\s+1\/2 50\.0%/);
    expect(text).toContain('Failed (1):');
    expect(text).toContain('  injection-admin-mode\n    outcome: expected escalated, got answered');
    expect(text).not.toContain('writes: x');
  });

  it('draws a progress bar with \\r on a terminal and plain lines otherwise', () => {
    const written: string[] = [];
    const terminal = createProgressBar({ write: (text: string) => written.push(text), isTTY: true }, 10);
    terminal.update(result({ id: 'a' }), { done: 1, total: 2 });
    terminal.update(result({ id: 'b', passed: false }), { done: 2, total: 2 });
    expect(written[0]).toBe('\r\u001b[2K[#####-----] 1/2  pass 1  fail 0  a');
    expect(written[1]).toMatch(/\[##########\] 2\/2 {2}pass 1 {2}fail 1 {2}b$/);
    expect(written[2]).toBe('\n');

    const lines: string[] = [];
    createProgressBar({ write: (text: string) => lines.push(text) }).update(
      result({ id: 'a', baseline: 'kb-only' }),
      { done: 1, total: 1 },
    );
    expect(lines).toEqual(['1/1  pass 1  fail 0  PASS [kb-only] a\n']);
  });
});

describe('the honest metrics in the console and the HTML page', () => {
  const honest = buildReport({
    id: 'evr_2',
    suite: 'generalization',
    suiteFolder: 'evals/suites/generalization/dev',
    options: { ...options, baseline: 'none' },
    startedAt: new Date('2026-11-20T09:00:00Z'),
    finishedAt: new Date('2026-11-20T09:01:00Z'),
    results: [
      result({
        id: 'invoice-wrong-copy',
        passed: false,
        failures: ['emails: no email to maya@brightpath.io with template invoice_copy'],
        falseResolution: true,
        falseResolutionKind: 'wrong-action',
        wrongProposals: ['proposed billing.change_plan {subscription_id: sub_1, plan: pro}'],
        proposals: 2,
      }),
      result({
        id: 'human-angry',
        expectedOutcome: 'escalated',
        expectedEscalationReason: 'negative_sentiment',
        expectsAction: false,
        actualOutcome: 'escalated',
        escalationReasons: ['customer_requested'],
        passed: false,
      }),
    ],
  });

  it('prints action resolutions, escalations by reason, false-resolution kinds and wrong proposals', () => {
    const text = formatConsoleSummary(honest);
    expect(text).toMatch(/action resolutions\s+0\/1 0\.0%, actual 1/);
    expect(text).toMatch(/escalated\s+0\/1 0\.0%, actual 1/);
    expect(text).toMatch(/negative_sentiment\s+0\/1 0\.0%, actual 0/);
    expect(text).toMatch(/customer_requested\s+-, actual 1/);
    expect(text).toContain('False resolutions       1 (1 wrong action)');
    expect(text).toContain('Wrong proposals         1 (1/2 runs)');
    expect(text).toContain(
      'invoice-wrong-copy: proposed billing.change_plan {subscription_id: sub_1, plan: pro}',
    );
    expect(text).toContain('    false resolution: wrong-action');
  });

  it('shows them on the HTML page and in results.json', () => {
    const html = renderHtmlReport(honest);
    expect(html).toContain(
      '<td>Action resolutions (possible → verified)</td><td>0/1 (0.0%), 1 ended so</td>',
    );
    expect(html).toContain('<td>  escalated: negative_sentiment</td><td>0/1 (0.0%), 0 ended so</td>');
    expect(html).toContain('1 of 2 confirmations (1/2 judged runs)');
    expect(html).toContain('wrong proposal: proposed billing.change_plan');
    expect(html).toContain('false resolution: wrong-action');
    const json = JSON.parse(JSON.stringify(honest)) as typeof honest;
    expect(json.summary.outcomes.escalatedByReason.map((entry) => entry.reason)).toEqual([
      'customer_requested',
      'negative_sentiment',
    ]);
    expect(json.summary.wrongProposals.count).toBe(1);
  });
});
