import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { z } from 'zod';
import type { EscalationReason } from '../../agent/escalation-reasons.ts';
import { readTurnStream } from '../api/customer-load.ts';

/** The kinds of conversation the chaos drives, each with the end state the product must reach. */
export const conversationKinds = [
  'refund',
  'invoice_copy',
  'callback',
  'knowledge',
  'human_request',
  'outage_refund',
] as const;
export type ConversationKind = (typeof conversationKinds)[number];

/** A demo contact a verified conversation speaks for (an identity token names them). */
export interface ChaosContact {
  contactId: string;
  accountId: string;
  email: string;
  /** For refunds: the duplicate payment the run added to this account (the one to refund). */
  duplicatePaymentId?: string;
  /** Its invoice: what the customer answers when the account has another duplicate too. */
  invoiceId?: string;
}

/** One customer conversation: who, what they say and know, and where it must end. */
export interface ConversationPlan {
  index: number;
  kind: ConversationKind;
  contact: ChaosContact | null;
  opening: string;
  /** Answers to the agent's questions (slot name → what the customer types). */
  knows: Record<string, string>;
  expect: { outcome: 'resolved' | 'answered' | 'escalated'; reason: EscalationReason | null };
}

/** What the client saw of one conversation (the invariants are checked against the database). */
export interface ConversationRecord {
  plan: ConversationPlan;
  conversationId: string | null;
  /** Client message ids the API answered 2xx for (the message is stored before a byte is streamed). */
  accepted: string[];
  /** Requests answered with an error or not at all (then resent with the same id). */
  failedAttempts: number;
  /** Turns whose stream ended before the turn did (`processing`/`queued`, or cut). */
  unfinishedStreams: number;
  /** What went wrong on the client side, if the conversation could not be driven to its end. */
  clientError: string | null;
}

const knowledgeQuestions = [
  'Where exactly is our data stored if we pick the EU region?',
  'How do I turn on two-factor authentication for my own profile?',
  'How much does the Business plan cost per month?',
  "What's the API rate limit on the Pro plan?",
  'How long do you keep raw event data on the Starter plan?',
  'Do you support SAML single sign-on with Okta?',
  'How do I verify that a webhook request really comes from Lumen Cloud?',
];
const humanRequests = [
  "I'd like to talk to a real person, please.",
  'Can I speak to a human agent?',
  'Please connect me with someone from your support team.',
];
const weekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const hours = ['9am', '10am', '11am', '1pm', '2pm', '3pm', '4pm'];

/** A deterministic pseudo-random sequence (mulberry32) so `--seed` replays the same mix. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many conversations of each kind a run of `total` has (every kind at least once from 6 on). */
export function kindCounts(total: number): Record<ConversationKind, number> {
  const share: Record<ConversationKind, number> = {
    refund: 0.2,
    invoice_copy: 0.15,
    callback: 0.15,
    knowledge: 0.25,
    human_request: 0.1,
    outage_refund: 0.15,
  };
  const counts = Object.fromEntries(
    conversationKinds.map((kind) => [kind, Math.max(1, Math.floor(total * share[kind]))]),
  ) as Record<ConversationKind, number>;
  // The remainder (or the excess of a tiny run) goes to knowledge questions.
  const sum = conversationKinds.reduce((total, kind) => total + counts[kind], 0);
  counts.knowledge = Math.max(1, counts.knowledge + total - sum);
  return counts;
}

/**
 * The plans of a run, shuffled with the seed. Verified kinds each get a contact of their own (refunds:
 * one of an account the run gave a fresh duplicate charge), so every write is attributable.
 */
export function planConversations(
  counts: Record<ConversationKind, number>,
  contacts: { refund: ChaosContact[]; other: ChaosContact[] },
  random: () => number,
): ConversationPlan[] {
  const refundContacts = [...contacts.refund];
  const otherContacts = [...contacts.other];
  const take = (pool: ChaosContact[], kind: ConversationKind) => {
    const contact = pool.shift();
    if (!contact) throw new Error(`not enough demo contacts for the ${kind} conversations`);
    return contact;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const plans: Omit<ConversationPlan, 'index'>[] = [];
  for (const kind of conversationKinds) {
    for (let n = 0; n < counts[kind]; n++) {
      switch (kind) {
        case 'refund':
        case 'outage_refund': {
          const contact = take(refundContacts, kind);
          plans.push({
            kind,
            contact,
            opening: pick([
              'Hi, I think I was charged twice this month.',
              'I was billed twice for the same invoice, can you fix it?',
              'There is a duplicate charge on my card this month.',
            ]),
            knows: contact.invoiceId ? { invoice_id: contact.invoiceId } : {},
            expect:
              kind === 'refund'
                ? { outcome: 'resolved', reason: null }
                : { outcome: 'escalated', reason: 'connector_failure' },
          });
          break;
        }
        case 'invoice_copy':
          plans.push({
            kind,
            contact: take(otherContacts, kind),
            opening: pick([
              'Our accountant needs the latest invoice, can you send it over?',
              'Could you email me a copy of our latest invoice?',
            ]),
            knows: {},
            expect: { outcome: 'resolved', reason: null },
          });
          break;
        case 'callback': {
          const time = `${pick(weekdays)} at ${pick(hours)}`;
          plans.push({
            kind,
            contact: take(otherContacts, kind),
            opening: 'Can I book a call with one of your engineers?',
            knows: { preferred_time: time },
            expect: { outcome: 'resolved', reason: null },
          });
          break;
        }
        case 'knowledge':
          plans.push({
            kind,
            contact: null,
            opening: pick(knowledgeQuestions),
            knows: {},
            expect: { outcome: 'answered', reason: null },
          });
          break;
        case 'human_request':
          plans.push({
            kind,
            contact: take(otherContacts, kind),
            opening: pick(humanRequests),
            knows: {},
            expect: { outcome: 'escalated', reason: 'customer_requested' },
          });
          break;
      }
    }
  }
  for (let index = plans.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [plans[index], plans[other]] = [plans[other]!, plans[index]!];
  }
  return plans.map((plan, index) => ({ ...plan, index }));
}

const startedSchema = z.object({ conversationId: z.string(), accessToken: z.string() });
const viewSchema = z.object({
  status: z.string(),
  outcome: z.string().nullable(),
  pending: z.object({ kind: z.string(), actionId: z.string().optional() }).nullable(),
});

/** A turn input the client sends: typed text or a button press on a confirmation. */
type ClientInput = { kind: 'message'; text: string } | { kind: 'confirm'; actionId: string };

export interface DriverOptions {
  apiUrl: string;
  /** Read-only use: when the turn of a stored message is over (the client cannot tell from a cut stream). */
  pool: pg.Pool;
  identityToken(contact: ChaosContact): Promise<string>;
  /** The run's deadline for this conversation (ms since the epoch). */
  deadline: number;
  maxTurns?: number;
}

const retryPauseMs = 500;
/** Worker lock expiry (10 s) + the pending-turn sweep (15 s) + a slow turn, with a wide margin. */
const stepLimitMs = 90_000;

/**
 * Drives one conversation over the HTTP API as a persistent customer would: every request that fails
 * (connection refused or reset, 5xx) is sent again with the same client message id until it is
 * accepted; after each turn the client reads the conversation (`GET`) to see what the agent waits for,
 * confirms a confirmation, answers a question from what it knows, and stops when nothing is asked.
 */
export async function driveConversation(
  plan: ConversationPlan,
  options: DriverOptions,
): Promise<ConversationRecord> {
  const record: ConversationRecord = {
    plan,
    conversationId: null,
    accepted: [],
    failedAttempts: 0,
    unfinishedStreams: 0,
    clientError: null,
  };
  const maxTurns = options.maxTurns ?? 6;
  // A step (a request accepted, its turn over) that takes longer than recovery ever should is a
  // stuck conversation: reported, not waited for until the run's deadline.
  let stepDeadline = 0;
  const overdue = () => Date.now() > Math.min(options.deadline, stepDeadline);
  const nextStep = () => {
    stepDeadline = Date.now() + stepLimitMs;
  };
  try {
    const identityToken = plan.contact ? await options.identityToken(plan.contact) : undefined;
    nextStep();
    const started = await untilAccepted(record, overdue, () =>
      fetch(`${options.apiUrl}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(identityToken ? { identityToken } : {}),
        signal: AbortSignal.timeout(30_000),
      }),
    );
    const { conversationId, accessToken } = startedSchema.parse(await started.json());
    record.conversationId = conversationId;
    const auth = { authorization: `Bearer ${accessToken}` };

    let input: ClientInput | null = { kind: 'message', text: plan.opening };
    let lastSlot: string | null = null;
    for (let turn = 0; input && turn < maxTurns; turn++) {
      const clientId = `chaos-${plan.index}-${turn}`;
      nextStep();
      const [path, body] =
        input.kind === 'message'
          ? ['messages', { id: clientId, text: input.text }]
          : ['confirmation', { id: clientId, decision: 'confirm', actionId: input.actionId }];
      const response = await untilAccepted(record, overdue, () =>
        fetch(`${options.apiUrl}/api/conversations/${conversationId}/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(120_000),
        }),
      );
      record.accepted.push(clientId);
      // The stream may be cut (the API lost Redis or its database mid-turn): the message is stored.
      const streamed = await response.text().catch(() => '');
      const stream = readTurnStream(streamed);
      if (!stream.status || stream.status === 'processing' || stream.status === 'queued')
        record.unfinishedStreams += 1;
      lastSlot = slotAskedIn(streamed) ?? lastSlot;
      await waitForTurn(options.pool, conversationId, clientId, overdue);
      const view = viewSchema.parse(
        await (
          await untilAccepted(record, overdue, () =>
            fetch(`${options.apiUrl}/api/conversations/${conversationId}`, {
              headers: auth,
              signal: AbortSignal.timeout(30_000),
            }),
          )
        ).json(),
      );
      input = nextInput(plan, view, lastSlot);
    }
  } catch (error) {
    record.clientError = (error as Error).message;
  }
  return record;
}

/** What the customer does next, from the conversation as the API shows it. */
function nextInput(
  plan: ConversationPlan,
  view: z.infer<typeof viewSchema>,
  slot: string | null,
): ClientInput | null {
  if (view.pending?.kind === 'confirmation' && view.pending.actionId)
    return { kind: 'confirm', actionId: view.pending.actionId };
  if (view.pending?.kind === 'slot') {
    const known = (slot && plan.knows[slot]) ?? Object.values(plan.knows)[0];
    return { kind: 'message', text: known ?? "I don't know." };
  }
  return null;
}

/** The slot the last `data-slot-request` of a streamed turn asked for. */
function slotAskedIn(body: string): string | null {
  let slot: string | null = null;
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    try {
      const chunk = JSON.parse(line.slice(6)) as { type?: string; data?: { slot?: unknown } };
      if (chunk.type === 'data-slot-request' && typeof chunk.data?.slot === 'string') slot = chunk.data.slot;
    } catch {}
  }
  return slot;
}

/** Sends until a 2xx (network errors, 5xx and 429 are retried with the same body); 4xx is a client error. */
async function untilAccepted(
  record: ConversationRecord,
  overdue: () => boolean,
  send: () => Promise<Response>,
): Promise<Response> {
  for (;;) {
    const response = await send().catch((error: Error) => error);
    if (!(response instanceof Error) && response.ok) return response;
    if (!(response instanceof Error) && response.status < 500 && response.status !== 429)
      throw new Error(`${response.status} ${await response.text()}`);
    record.failedAttempts += 1;
    if (!(response instanceof Error)) await response.text().catch(() => '');
    if (overdue())
      throw new Error(
        `gave up at the deadline: ${response instanceof Error ? response.message : response.status}`,
      );
    await sleep(retryPauseMs);
  }
}

/** Waits until the turn of the stored message is over (done or failed) — what `/events` would tell a widget. */
async function waitForTurn(
  pool: pg.Pool,
  conversationId: string,
  clientId: string,
  overdue: () => boolean,
): Promise<void> {
  for (;;) {
    const { rows } = await pool
      .query<{ turn_status: string | null }>(
        'SELECT turn_status FROM messages WHERE conversation_id = $1 AND client_message_id = $2',
        [conversationId, clientId],
      )
      .catch(() => ({ rows: [] as Array<{ turn_status: string | null }> }));
    const status = rows[0]?.turn_status;
    if (status === 'done' || status === 'failed') return;
    if (overdue()) throw new Error(`turn of ${clientId} not over at the deadline (turn_status ${status})`);
    await sleep(250);
  }
}
