import { parseCommandLine } from '../../app/cli/command-line.ts';

/**
 * `npm run bench:gmail`: mail-to-reply latency of the Gmail channel through the local fakes (fake
 * Gmail, in-memory PGlite, the local agent), by polling and by push, and the Gmail API calls each
 * handled mail costs.
 */
const { values } = parseCommandLine({
  command: 'npm run bench:gmail',
  summary:
    'Places mails one at a time in a fake Gmail inbox and measures the time until the reply is in the\n' +
    'same Gmail thread (poll: the in-process poll timer finds it; push: a verified Pub/Sub push\n' +
    'queues the pass at once). Prints p50/p95 per mode and the Gmail API calls per handled mail\n' +
    '(by method). Loads the local embedding model first (~10-20 s).',
  options: {
    mails: { type: 'string', value: '<n>', default: '200', description: 'mails per mode' },
    'poll-ms': {
      type: 'string',
      value: '<ms>',
      default: '1000',
      description: 'poll interval of the poll mode',
    },
    mode: {
      type: 'string',
      value: '<poll|push|both>',
      default: 'both',
      description: 'which ways in to measure',
    },
  },
  examples: ['npm run bench:gmail', 'npm run bench:gmail -- --mails 50 --mode push'],
});
const mails = Number(values.mails);
const pollMs = Number(values['poll-ms']);
if (!Number.isInteger(mails) || mails < 1 || !Number.isInteger(pollMs) || pollMs < 10) {
  console.error('--mails and --poll-ms must be positive integers (poll ≥ 10 ms)');
  process.exit(2);
}

const [
  { staticGoogleConnection, googleFeatureScopes },
  { startFakeGmail },
  { createGoogleTokenBook },
  harness,
  channel,
] = await Promise.all([
  import('../../connectors/google/connection.ts'),
  import('../../test/fakes/gmail/server.ts'),
  import('../../test/fakes/google-oauth/token-book.ts'),
  import('../../test/support/api-harness.ts'),
  import('../../test/support/mail-channel.ts'),
]);
const { demoCustomers } = await import('../../db/world/demo-world.ts');

const maya = demoCustomers.duplicateCharge;
const mailDomain = channel.mailDomainOf(maya.email);
const support = 'support@lumen.example';
const audience = 'https://switchboard.bench/api/webhooks/gmail';
const pushAccount = 'gmail-push@bench.iam.gserviceaccount.com';
const questions = [
  'How do I reset my password?',
  'Can I export my data to CSV?',
  'How do I add a teammate to my workspace?',
  'What happens when my trial ends?',
];

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function run(mode: 'poll' | 'push') {
  const tokens = createGoogleTokenBook();
  const token = tokens.issue({ scopes: googleFeatureScopes.gmail_channel, subject: support });
  const fake = await startFakeGmail({ tokens, account: support });
  const calls = new Map<string, number>();
  const connection = staticGoogleConnection({
    rootUrl: fake.url,
    accessToken: token.token,
    account: support,
  });
  const api = await harness.createTestApi({
    inboundMail: { resolver: mailDomain.resolver },
    gmail: {
      channel: true,
      sender: true,
      connection,
      pollIntervalMs: mode === 'poll' ? pollMs : 0,
      push: { audience, serviceAccountEmail: pushAccount, certsUrl: `${fake.url}oauth2/v1/certs` },
      onCall: (method) => calls.set(method, (calls.get(method) ?? 0) + 1),
    },
  });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = api.app.server.address() as { port: number };
  fake.subscribe({
    endpoint: `http://127.0.0.1:${port}/api/webhooks/gmail`,
    audience,
    serviceAccountEmail: pushAccount,
  });
  api.context.switchboard.dispatcher.start(20);
  // The first pass starts the history now; then a warm-up mail loads the agent's models.
  await api.context.jobs.enqueue('gmail.sync', { reason: 'admin' }, { jobId: 'gmail.sync' });
  const waitReply = async (threadId: string, limitMs = 60_000) => {
    const started = Date.now();
    while (!fake.thread(threadId).some((message) => message.labelIds.has('SENT'))) {
      if (Date.now() - started > limitMs)
        throw new Error(`no reply in thread ${threadId} after ${limitMs} ms`);
      if (mode === 'push') await new Promise((resolve) => setTimeout(resolve, 5));
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const place = async (index: number) => {
    const raw = channel.plainMail({
      from: `Maya Chen <${maya.email}>`,
      subject: `Question ${mode} ${index}`,
      text: questions[index % questions.length]!,
      messageId: mailDomain.messageId(),
    });
    const placed = fake.deliver(await mailDomain.sign(raw));
    if (mode === 'push') await fake.push();
    return placed;
  };
  await new Promise((resolve) => setTimeout(resolve, 500));
  await waitReply((await place(-1)).threadId, 120_000);
  calls.clear();
  const latencies: number[] = [];
  for (let index = 0; index < mails; index++) {
    const started = performance.now();
    const placed = await place(index);
    await waitReply(placed.threadId);
    latencies.push(performance.now() - started);
    if ((index + 1) % 25 === 0) {
      const sorted = [...latencies].sort((a, b) => a - b);
      const perMail = [...calls.values()].reduce((sum, value) => sum + value, 0) / latencies.length;
      console.error(
        `${mode}: ${index + 1}/${mails} p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, ${perMail.toFixed(2)} calls/mail`,
      );
    }
  }
  // Labels are applied by the next pass: count it in.
  await api.context.jobs.enqueue('gmail.sync', { reason: 'admin' }, { jobId: 'gmail.sync' });
  await new Promise((resolve) => setTimeout(resolve, Math.max(500, mode === 'poll' ? pollMs * 2 : 500)));
  await api.context.switchboard.dispatcher.stop();
  await api.close();
  await fake.close();
  latencies.sort((a, b) => a - b);
  const total = [...calls.values()].reduce((sum, value) => sum + value, 0);
  return { mode, latencies, calls, total };
}

const modes: Array<'poll' | 'push'> =
  values.mode === 'both' ? ['poll', 'push'] : [values.mode as 'poll' | 'push'];
const results = [];
for (const mode of modes) results.push(await run(mode));

console.log(
  `\n## Gmail channel: mail → reply in the same thread (${mails} mails per mode, poll every ${pollMs} ms)\n`,
);
console.log('| mode | p50 ms | p95 ms | max ms | Gmail calls / mail |');
console.log('|---|---:|---:|---:|---:|');
for (const result of results)
  console.log(
    `| ${result.mode} | ${percentile(result.latencies, 50).toFixed(0)} | ${percentile(result.latencies, 95).toFixed(0)} | ${result.latencies.at(-1)!.toFixed(0)} | ${(result.total / mails).toFixed(2)} |`,
  );
for (const result of results) {
  console.log(`\nCalls by method (${result.mode}), per mail:`);
  for (const [method, count] of [...result.calls].sort())
    console.log(`- ${method}: ${(count / mails).toFixed(2)}`);
}
process.exit(0);
