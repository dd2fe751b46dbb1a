import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

/** One simulated customer: their conversation and the token that authorizes it. */
export interface BenchCustomer {
  conversationId: string;
  accessToken: string;
  verified: boolean;
}

/** What one autocannon run measured. */
export interface LoadResult {
  /** Completed responses (any status). */
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Responses that were a complete turn: 2xx and a stream whose last part is `data-status` of a finished turn. */
  turns: number;
  turnsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** Connection errors, including timeouts (autocannon `errors`). */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 2xx responses that were not a complete turn (no final `data-status`, or `processing`/`queued`). */
  badStreams: number;
  /** Final `data-status` values seen, e.g. `{ open: 198, resolved: 2 }`. */
  statuses: Record<string, number>;
  /** Replies that escalated to a human (the agent then stays silent in that conversation). */
  escalations: number;
  /** Latency of each customer's first message vs its later ones (queueing fairness), no-think-time load only. */
  byPosition?: { first: LoadResult['latencyMs']; later: LoadResult['latencyMs'] };
}

/** Questions a customer asks, in turn; verified customers also ask about their ticket. */
const anonymousMessages = [
  'What are your API rate limits?',
  'Can you tell me about your pricing plans?',
  'How do I set up SAML SSO?',
  'thanks!',
];
const verifiedMessages = [
  'What are your API rate limits?',
  "What's the status of my support ticket?",
  'How do I set up SAML SSO?',
  'thanks!',
];

/** The rotation one customer follows, started at a different point per customer so the mix is even. */
export function messagesFor(customer: BenchCustomer, index: number): string[] {
  const rotation = customer.verified ? verifiedMessages : anonymousMessages;
  return rotation.map((_, step) => rotation[(index + step) % rotation.length]!);
}

/**
 * Real customers rarely repeat a sentence word for word: messages over three words get a reference
 * suffix, so the embedder's recent-text cache helps only where it would in production (as in
 * bench/agent/turn-latency.ts).
 */
export function uniqueText(text: string, sequence: number): string {
  return text.split(/\s+/).length > 3 ? `${text} (ref ${sequence})` : text;
}

/** Reads an AI SDK UI message stream body: the final `data-status` and whether it escalated. */
export function readTurnStream(body: string): { status: string | null; escalated: boolean } {
  const chunks = body
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .flatMap((line) => {
      try {
        return [JSON.parse(line.slice(6)) as { type?: string; data?: { status?: string } }];
      } catch {
        return [];
      }
    });
  const last = chunks.at(-1);
  return {
    status: last?.type === 'data-status' ? (last.data?.status ?? null) : null,
    escalated: chunks.some((chunk) => chunk.type === 'data-escalation'),
  };
}

/** A `data-status` the streamed turn ends with when the worker did not finish it in time (or at all). */
const unfinished = new Set(['processing', 'queued']);

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN;

/** p50, p95, p99, max and mean of a list of latencies (ms). */
export function latencySummary(times: number[]): LoadResult['latencyMs'] {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.reduce((sum, value) => sum + value, 0) / (sorted.length || 1),
  };
}

/**
 * Every connection is one customer posting its messages to ITS conversation, one after the other
 * (the next when the previous reply has finished streaming), `messagesPerCustomer` in all. Each
 * request is `POST /api/conversations/:id/messages` with a new message id; autocannon times it until
 * the streamed reply ends, which is the end of the turn.
 */
export async function runConversationLoad(
  baseUrl: string,
  customers: BenchCustomer[],
  options: { messagesPerCustomer: number; timeoutSeconds: number },
): Promise<LoadResult> {
  const times: number[] = [];
  const firstTimes: number[] = [];
  const laterTimes: number[] = [];
  const statuses: Record<string, number> = {};
  let turns = 0;
  let badStreams = 0;
  let escalations = 0;
  let nextClient = 0;
  let sequence = 0;
  const started = performance.now();
  const result = await autocannon({
    url: baseUrl,
    connections: customers.length,
    amount: customers.length * options.messagesPerCustomer,
    timeout: options.timeoutSeconds,
    setupClient(client) {
      const index = nextClient++;
      const customer = customers[index % customers.length]!;
      const rotation = messagesFor(customer, index);
      let step = 0;
      client.setRequests([
        {
          method: 'POST',
          path: `/api/conversations/${customer.conversationId}/messages`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.accessToken}` },
          setupRequest(request) {
            sequence += 1;
            const text = uniqueText(rotation[step++ % rotation.length]!, sequence);
            return { ...request, body: JSON.stringify({ id: `bench-${index}-${sequence}`, text }) };
          },
          onResponse(status, body) {
            if (status < 200 || status >= 300) return;
            const stream = readTurnStream(body);
            if (stream.escalated) escalations += 1;
            if (stream.status) statuses[stream.status] = (statuses[stream.status] ?? 0) + 1;
            if (stream.status && !unfinished.has(stream.status)) turns += 1;
            else badStreams += 1;
          },
        },
      ]);
      client.on('response', (_status: number, _bytes: number, responseTime: number) => {
        times.push(responseTime);
        // The next request is built after this event, so `step` still counts the one that just ended.
        (step === 1 ? firstTimes : laterTimes).push(responseTime);
      });
    },
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    byPosition: { first: latencySummary(firstTimes), later: latencySummary(laterTimes) },
    requests: times.length,
    seconds,
    requestsPerSecond: times.length / seconds,
    turns,
    turnsPerSecond: turns / seconds,
    latencyMs: latencySummary(times),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    badStreams,
    statuses,
    escalations,
  };
}

/**
 * Customers with a think time: each waits `thinkMs` (±50%) after a reply before its next message,
 * the first message at a random moment within one think time. New messages start for `seconds`;
 * the run then waits for the replies in flight, so slow replies are never cut off.
 */
export async function runPacedLoad(
  baseUrl: string,
  customers: BenchCustomer[],
  options: {
    thinkMs: number;
    seconds: number;
    timeoutSeconds: number;
    /** Each response as it ends: its latency, when it ended (performance.now()) and whether it failed. */
    onResponse?: (response: { ms: number; at: number; failed: boolean }) => void;
  },
): Promise<LoadResult> {
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  const counts = { turns: 0, badStreams: 0, escalations: 0, errors: 0, timeouts: 0, non2xx: 0 };
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  let sequence = 0;
  await Promise.all(
    customers.map(async (customer, index) => {
      const rotation = messagesFor(customer, index);
      await sleep(options.thinkMs * Math.random());
      for (let step = 0; performance.now() < deadline; step++) {
        sequence += 1;
        const text = uniqueText(rotation[step % rotation.length]!, sequence);
        const sent = performance.now();
        try {
          const response = await fetch(`${baseUrl}/api/conversations/${customer.conversationId}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.accessToken}` },
            body: JSON.stringify({ id: `paced-${index}-${sequence}`, text }),
            signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
          });
          const body = await response.text();
          const ms = performance.now() - sent;
          times.push(ms);
          let failed = true;
          if (!response.ok) counts.non2xx += 1;
          else {
            const stream = readTurnStream(body);
            if (stream.escalated) counts.escalations += 1;
            if (stream.status) statuses[stream.status] = (statuses[stream.status] ?? 0) + 1;
            failed = !stream.status || unfinished.has(stream.status);
            if (failed) counts.badStreams += 1;
            else counts.turns += 1;
          }
          options.onResponse?.({ ms, at: performance.now(), failed });
        } catch (error) {
          counts.errors += 1;
          if (error instanceof Error && error.name === 'TimeoutError') counts.timeouts += 1;
          options.onResponse?.({ ms: performance.now() - sent, at: performance.now(), failed: true });
        }
        const pause = options.thinkMs * (0.5 + Math.random());
        if (performance.now() + pause >= deadline) break;
        await sleep(pause);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: times.length,
    seconds,
    requestsPerSecond: times.length / seconds,
    turns: counts.turns,
    turnsPerSecond: counts.turns / seconds,
    latencyMs: latencySummary(times),
    errors: counts.errors,
    timeouts: counts.timeouts,
    non2xx: counts.non2xx,
    badStreams: counts.badStreams,
    statuses,
    escalations: counts.escalations,
  };
}

/** The ceiling: `GET /` on the hello-world server with the same number of connections for `seconds`. */
export async function runHelloLoad(
  baseUrl: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const times: number[] = [];
  const started = performance.now();
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    setupClient(client) {
      client.on('response', (_status: number, _bytes: number, responseTime: number) =>
        times.push(responseTime),
      );
    },
  });
  const elapsed = (performance.now() - started) / 1000;
  return {
    requests: times.length,
    seconds: elapsed,
    requestsPerSecond: times.length / elapsed,
    turns: 0,
    turnsPerSecond: 0,
    latencyMs: latencySummary(times),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    badStreams: 0,
    statuses: {},
    escalations: 0,
  };
}

/** Starts `count` conversations; the first `identityTokens.length` are verified customers. */
export async function createConversations(
  baseUrl: string,
  count: number,
  identityTokens: string[],
): Promise<BenchCustomer[]> {
  const customers: BenchCustomer[] = [];
  for (let index = 0; index < count; index++) {
    const identityToken = identityTokens[index];
    const response = await fetch(`${baseUrl}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(identityToken ? { identityToken } : {}),
    });
    if (response.status !== 201)
      throw new Error(`starting a conversation: ${response.status} ${await response.text()}`);
    const started = (await response.json()) as { conversationId: string; accessToken: string };
    customers.push({ ...started, verified: Boolean(identityToken) });
  }
  return customers;
}

/** Sends one message outside the measurement (warm-up) and checks the turn finished. */
export async function sendOneMessage(
  baseUrl: string,
  customer: BenchCustomer,
  text: string,
): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/api/conversations/${customer.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.accessToken}` },
    body: JSON.stringify({ text }),
  });
  const body = await response.text();
  const { status } = readTurnStream(body);
  if (response.status !== 200 || !status || unfinished.has(status))
    throw new Error(`warm-up message "${text}" did not finish: ${response.status} ${body.slice(-500)}`);
  return performance.now() - started;
}
