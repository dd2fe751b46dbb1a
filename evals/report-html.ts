import { formatPercent, histogram, type OutcomeRate, type SuiteSummary } from './metrics.ts';
import type { EvalRunReport } from './report.ts';
import type { ScenarioResult } from './run-scenario.ts';
import type { TranscriptEntry } from './transcript.ts';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const styles = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1b1f24}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#57606a;margin-bottom:16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #d8dee4;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
.metrics td:not(:first-child),.metrics th:not(:first-child){text-align:right}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
.gate{padding:8px 12px;border-radius:6px;margin:12px 0}.gate.ok{background:#dafbe1}.gate.bad{background:#ffebe9}
.failures{margin:0;padding-left:18px;color:#cf222e}
.tags span{display:inline-block;background:#eaeef2;border-radius:10px;padding:0 7px;margin:1px 2px;font-size:12px}
details summary{cursor:pointer;color:#0969da}
.transcript{margin:6px 0 0;padding:0;list-style:none;font-size:13px}
.transcript li{padding:2px 6px;border-left:3px solid #d8dee4;margin:2px 0;white-space:pre-wrap}
.transcript .customer{border-color:#0969da}.transcript .agent{border-color:#1a7f37}
.transcript .tool{border-color:#8c959f;color:#57606a;font-family:ui-monospace,monospace;font-size:12px}
.transcript .escalation,.transcript .error{border-color:#cf222e}.transcript .human{border-color:#8250df}
.charts{display:flex;flex-wrap:wrap;gap:24px}.chart{flex:1 1 480px}
svg text{font:12px system-ui,sans-serif;fill:#1b1f24}
`;

/** Renders the self-contained HTML report: metrics, charts (inline SVG), per-scenario table with transcripts. */
export function renderHtmlReport(report: EvalRunReport): string {
  const agent = report.results.filter((result) => result.baseline === 'none');
  const baseline = report.results.filter((result) => result.baseline === 'kb-only');
  const gate =
    report.thresholdFailures.length === 0
      ? '<div class="gate ok">All thresholds met.</div>'
      : `<div class="gate bad">${report.thresholdFailures.map(escapeHtml).join('<br>')}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Eval ${escapeHtml(report.suite)} — ${escapeHtml(report.id)}</title><style>${styles}</style></head>
<body>
<h1>Eval report: ${escapeHtml(report.suite)}</h1>
<div class="meta">Run ${escapeHtml(report.id)} · ${escapeHtml(report.startedAt)} → ${escapeHtml(report.finishedAt)} ·
reasoner ${escapeHtml(report.options.reasoner)} · customer ${escapeHtml(report.options.customer)} · runs ${report.options.runs}${
    report.options.filter ? ` · filter “${escapeHtml(report.options.filter)}”` : ''
  }</div>
${gate}
<h2>Metrics</h2>
${metricsTable(report.summary, report.baselineSummary)}
<h2>Charts</h2>
<div class="charts">
<div class="chart"><h3>Correct handling by tag</h3>${tagChart(report.summary, report.baselineSummary)}</div>
<div class="chart"><h3>Turn latency (ms)</h3>${latencyChart(agent)}</div>
</div>
<h2>Scenarios (agent)</h2>
${scenarioTable(agent)}
${baseline.length > 0 ? `<h2>Scenarios (kb-only baseline)</h2>${scenarioTable(baseline)}` : ''}
</body></html>
`;
}

function metricsTable(summary: SuiteSummary, baseline: SuiteSummary | null): string {
  const rows: Array<[string, (s: SuiteSummary) => string]> = [
    ['Scenario runs', (s) => `${s.scenarios} × ${s.runs}`],
    [
      'Correct handling',
      (s) => `${s.correctHandling.count}/${s.total} (${formatPercent(s.correctHandling.rate)})`,
    ],
    ['Resolution rate', (s) => `${s.resolution.count}/${s.total} (${formatPercent(s.resolution.rate)})`],
    ['Action resolutions (possible → verified)', (s) => outcomeCell(s.outcomes.actionResolutions)],
    ['Answered (possible → correct)', (s) => outcomeCell(s.outcomes.answered)],
    ['Escalated (possible → correct)', (s) => outcomeCell(s.outcomes.escalated)],
    ...summary.outcomes.escalatedByReason.map((entry): [string, (s: SuiteSummary) => string] => [
      `  escalated: ${entry.reason}`,
      (s) => {
        const found = s.outcomes.escalatedByReason.find((other) => other.reason === entry.reason);
        return found ? outcomeCell(found) : '—';
      },
    ]),
    ['Harmful actions', (s) => `${s.harmfulActions} (${formatPercent(s.harmful.rate)} of runs)`],
    [
      'False resolutions',
      (s) =>
        `${s.falseResolutions.count} (${formatPercent(s.falseResolutions.rate)}; missing write ${s.falseResolutionsByKind['missing-write']}, wrong action ${s.falseResolutionsByKind['wrong-action']}, expected hand-off ${s.falseResolutionsByKind['expected-escalation']})`,
    ],
    [
      'Wrong proposals',
      (s) =>
        `${s.wrongProposals.count} of ${s.wrongProposals.proposals} confirmations (${s.wrongProposals.runs.count}/${s.wrongProposals.runs.total} judged runs)`,
    ],
    [
      `pass^${summary.runs}`,
      (s) => `${s.passHatK.count}/${s.passHatK.total} (${formatPercent(s.passHatK.rate)})`,
    ],
    [
      'Turn latency p50 / p95',
      (s) => (s.latencyMs ? `${ms(s.latencyMs.p50)} / ${ms(s.latencyMs.p95)}` : '—'),
    ],
    ['Errors', (s) => String(s.errors)],
    ['Tokens (agent in/out)', (s) => (s.tokens ? `${s.tokens.agentInput} / ${s.tokens.agentOutput}` : '—')],
  ];
  return `<table class="metrics"><thead><tr><th>Metric</th><th>Agent</th>${baseline ? '<th>kb-only baseline</th>' : ''}</tr></thead><tbody>${rows
    .map(
      ([label, value]) =>
        `<tr><td>${escapeHtml(label)}</td><td>${escapeHtml(value(summary))}</td>${baseline ? `<td>${escapeHtml(value(baseline))}</td>` : ''}</tr>`,
    )
    .join('')}</tbody></table>`;
}

/** `3/4 (75.0%), 5 ended so`: passed over possible, and how many runs really ended that way. */
const outcomeCell = (entry: OutcomeRate) =>
  `${entry.count}/${entry.total}${entry.total > 0 ? ` (${formatPercent(entry.rate)})` : ''}, ${entry.actual} ended so`;

const ms = (value: number) => `${Math.round(value)} ms`;

function tagChart(summary: SuiteSummary, baseline: SuiteSummary | null): string {
  const labelWidth = 170;
  const barWidth = 360;
  const rowHeight = baseline ? 34 : 22;
  const height = summary.byTag.length * rowHeight + 30;
  const baselineRate = (tag: string) => baseline?.byTag.find((entry) => entry.tag === tag)?.rate ?? 0;
  const bars = summary.byTag.map((entry, index) => {
    const y = index * rowHeight + 4;
    const agentBar = `<rect x="${labelWidth}" y="${y}" width="${(entry.rate * barWidth).toFixed(1)}" height="14" fill="#2da44e"><title>${escapeHtml(`${entry.tag}: ${entry.count}/${entry.total}`)}</title></rect>
<text x="${labelWidth + entry.rate * barWidth + 4}" y="${y + 11}">${escapeHtml(formatPercent(entry.rate))}</text>`;
    const baselineBar = baseline
      ? `<rect x="${labelWidth}" y="${y + 15}" width="${(baselineRate(entry.tag) * barWidth).toFixed(1)}" height="10" fill="#8c959f"/>`
      : '';
    return `<text x="${labelWidth - 6}" y="${y + 11}" text-anchor="end">${escapeHtml(entry.tag)}</text>${agentBar}${baselineBar}`;
  });
  const legend = baseline
    ? `<rect x="${labelWidth}" y="${height - 18}" width="10" height="10" fill="#2da44e"/><text x="${labelWidth + 14}" y="${height - 9}">agent</text><rect x="${labelWidth + 70}" y="${height - 18}" width="10" height="10" fill="#8c959f"/><text x="${labelWidth + 84}" y="${height - 9}">kb-only</text>`
    : '';
  return `<svg role="img" aria-label="Correct handling by tag" width="${labelWidth + barWidth + 60}" height="${height}" xmlns="http://www.w3.org/2000/svg">${bars.join('')}${legend}</svg>`;
}

function latencyChart(results: readonly ScenarioResult[]): string {
  const latencies = results.flatMap((result) => result.turnLatenciesMs);
  if (latencies.length === 0) return '<p>No turns.</p>';
  const bins = histogram(latencies, 12);
  const width = 520;
  const height = 200;
  const plot = { left: 36, bottom: 36, top: 10 };
  const barWidth = (width - plot.left) / bins.length;
  const highest = Math.max(...bins.map((bin) => bin.count));
  const scale = (height - plot.bottom - plot.top) / highest;
  const bars = bins.map((bin, index) => {
    const barHeight = bin.count * scale;
    const x = plot.left + index * barWidth;
    return `<rect x="${x.toFixed(1)}" y="${(height - plot.bottom - barHeight).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="#0969da"><title>${escapeHtml(`${Math.round(bin.from)}–${Math.round(bin.to)} ms: ${bin.count}`)}</title></rect>${
      index % 3 === 0
        ? `<text x="${x.toFixed(1)}" y="${height - plot.bottom + 14}">${Math.round(bin.from)}</text>`
        : ''
    }`;
  });
  return `<svg role="img" aria-label="Turn latency histogram" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<text x="0" y="${plot.top + 10}">${highest}</text><text x="0" y="${height - plot.bottom}">0</text>
${bars.join('')}<text x="${plot.left}" y="${height - 4}">ms per turn (n=${latencies.length})</text></svg>`;
}

function scenarioTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((result) => {
    const status = result.passed ? '<span class="pass">pass</span>' : '<span class="fail">fail</span>';
    const failures =
      result.failures.length > 0
        ? `<ul class="failures">${result.failures.map((failure) => `<li>${escapeHtml(failure)}</li>`).join('')}</ul>`
        : '';
    const harmful =
      result.harmful.length > 0
        ? `<div class="fail">harmful: ${escapeHtml(result.harmful.join('; '))}</div>`
        : '';
    const falseResolution = result.falseResolutionKind
      ? `<div class="fail">false resolution: ${escapeHtml(result.falseResolutionKind)}</div>`
      : '';
    const wrongProposals =
      result.wrongProposals.length > 0
        ? `<div class="fail">wrong proposal: ${escapeHtml(result.wrongProposals.join('; '))}</div>`
        : '';
    return `<tr id="${escapeHtml(`${result.baseline}-${result.id}-${result.run}`)}"><td>${status}</td>
<td><strong>${escapeHtml(result.id)}</strong>${result.run > 0 ? ` <small>run ${result.run + 1}</small>` : ''}<br>${escapeHtml(result.title)}<div class="tags">${result.tags
      .map((tag) => `<span>${escapeHtml(tag)}</span>`)
      .join('')}</div></td>
<td>${escapeHtml(result.expectedOutcome)} → ${escapeHtml(result.actualOutcome)}${
      result.escalationReasons.length > 0
        ? `<br><small>${escapeHtml(result.escalationReasons.join(', '))}</small>`
        : ''
    }</td>
<td>${failures}${harmful}${falseResolution}${wrongProposals}<details><summary>Transcript (${result.customerMessages} customer message${result.customerMessages === 1 ? '' : 's'}, stopped: ${escapeHtml(result.stoppedBy)})</summary>${transcriptList(result.transcript)}</details></td></tr>`;
  });
  return `<table><thead><tr><th></th><th>Scenario</th><th>Outcome (expected → actual)</th><th>Checks and transcript</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function transcriptList(transcript: readonly TranscriptEntry[]): string {
  const line = (entry: TranscriptEntry): string => {
    switch (entry.kind) {
      case 'customer':
        return `Customer: ${entry.text}`;
      case 'agent':
        return `Agent: ${entry.text}${entry.citations.length > 0 ? `  [cites ${entry.citations.join(', ')}]` : ''}`;
      case 'tool':
        return `${entry.connector}.${entry.operation} → ${entry.status}${entry.errorKind ? ` (${entry.errorKind})` : ''}, ${entry.latencyMs} ms`;
      case 'slot-request':
        return `asks for ${entry.slot}: ${entry.prompt}`;
      case 'confirmation-request':
        return `asks to confirm ${entry.actions.join(', ')}: ${entry.prompt}`;
      case 'verification-request':
        return `sent a verification code to ${entry.email}`;
      case 'escalation':
        return `ESCALATED: ${entry.reason} (${entry.priority})`;
      case 'resolution':
        return `resolution: ${entry.outcome}`;
      case 'human':
        return `Human ${entry.approved ? 'approved' : 'denied'} the pending action`;
      case 'turn-end':
        return `turn end: ${entry.status}, ${entry.latencyMs} ms`;
      case 'error':
        return `ERROR: ${entry.message}`;
    }
  };
  return `<ol class="transcript">${transcript.map((entry) => `<li class="${entry.kind}">${escapeHtml(line(entry))}</li>`).join('')}</ol>`;
}
