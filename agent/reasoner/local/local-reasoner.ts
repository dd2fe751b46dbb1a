import type { Intent, IntentId } from '../../intents.ts';
import type { Reasoner, Understanding, UnderstandingContext } from '../reasoner.ts';
import { afterLastCorrection, readClauses } from './clauses.ts';
import { detectCues } from './cues.ts';
import type { IntentRanker, IntentScore, TextEmbedder } from './intent-classifier.ts';
import { extractSlots } from './slots.ts';

/** Splits "refund my invoice and also book a call" into the requests it holds. */
const requestSeparator =
  /(?:[.!?;]\s+|\s+)(?:and also|also|and then|plus|another thing|one more thing|oh and|and (?=(?:can|could|please|i'?d|i want|i need|book|cancel|change|send|update|refund)\b))\s*/i;
/** What keeping something rules out, by what is kept ("keep the plan" also rules out a plan change). */
function removals(kept: string): Intent[] {
  if (/\b(plan|tier)\b/i.test(kept)) return ['billing.change_plan', 'billing.cancel_subscription'];
  if (/\b(subscription|account|workspace|seats?)\b/i.test(kept)) return ['billing.cancel_subscription'];
  if (/\b(call|booking|meeting|appointment|session)\b/i.test(kept)) return ['calendar.cancel_call'];
  return ['billing.cancel_subscription', 'calendar.cancel_call', 'billing.change_plan'];
}
const actionable = (intent: IntentId) => !['other', 'kb.question'].includes(intent);

/** Asking to be called or to talk (a call-back), as opposed to handing the chat to a person now. */
const callVerb = /\b(call|ring|phone|talk|speak|chat|meet|meeting|call-?back)\b/i;
/** A call that already exists: moving it is a reschedule, otherwise a call at a time is a new booking. */
const existingCall =
  /\b(my|our|the|that|this|existing|booked|scheduled)\s+(?:\w+\s+)?(call|booking|meeting|appointment|session)\b|\b(move|push|reschedul\w*|shift|postpone|bring (?:it )?forward|instead)\b/i;
/** A document sent *to* an address ("email INV-1 to x@y.z"): the address is a recipient, not a new contact address. */
const deliveryTo =
  /\b(send|email|e-mail|mail|forward)\b.{0,60}\b(invoice|receipt|bill|copy|statement|INV-\d+)\b.{0,40}\bto\b.{0,40}@|\b(send|email|forward)\b.{0,40}\bto\b.{0,40}@.{0,60}\b(invoice|receipt|INV-\d+)/i;
const changesAddress = /\b(change|update|new|replace|switch)\b.{0,30}\b(e-?mail|address)\b/i;
const callBackIntents: IntentId[] = [
  'calendar.book_call',
  'human.request',
  'other',
  'kb.question',
  'calendar.reschedule_call',
];

/**
 * The default reasoner: no LLM, works offline. Intents from a kNN classifier over sentence
 * embeddings, slots from patterns and chrono-node, cues from patterns; replies are the procedures'
 * templates as written (`phrase` returns the draft unchanged, so every fact is one the state holds).
 */
export function createLocalReasoner(
  classifier: IntentRanker,
  options: { embedder?: TextEmbedder } = {},
): Reasoner {
  const { embedder } = options;
  return {
    kind: 'local',
    // The classifier's own sentence model (its cache holds the message already); passages' sentences
    // recur from turn to turn and are cached by the embedder too (knowledge/local-embedder.ts).
    ...(embedder
      ? {
          async similarity(query: string, texts: string[]): Promise<number[]> {
            if (texts.length === 0) return [];
            const [asked, ...others] = await embedder.embed([query, ...texts]);
            return others.map((vector) => cosine(asked!, vector));
          },
        }
      : {}),
    async understand(message: string, context: UnderstandingContext): Promise<Understanding> {
      // Clause level first (issue #19, pattern 2): a negated or deferred action ("please don't
      // cancel…", "the refund can wait") and whatever a retraction takes back are not asked for.
      const reading = readClauses(message);
      const asked = reading.kept.length > 0 ? reading.kept : message;
      const segments = asked
        .split(requestSeparator)
        .map((segment) => segment.trim())
        .filter((segment) => segment.split(/\s+/).length >= 3);
      const parts = segments.length > 1 ? segments : [];
      const [whole, ...rest] = await classifier.classify([asked, ...parts, ...reading.negated]);
      const partRankings = rest.slice(0, parts.length);
      // An action the customer negated is never the request, unless a clause still asking names it too.
      // A clause that keeps something ("keep the call", "leave the plan as it is") rules out only the
      // removals, whatever else the classifier reads into it; "keep X but move it" still moves it.
      const excluded = new Set<IntentId>(
        rest.slice(parts.length).flatMap((ranking, index) =>
          reading.keeps.includes(reading.negated[index]!)
            ? removals(reading.negated[index]!)
            : ranking
                .slice(0, 1)
                .filter((best) => best.confidence >= 0.4 && actionable(best.intent))
                .map((best) => best.intent),
        ),
      );
      const allowed = (ranking: IntentScore[]) => ranking.filter((item) => !excluded.has(item.intent));
      let ranked = allowed(whole!);
      if (reading.kept.length === 0) ranked = [{ intent: 'other', confidence: 0.9 }, ...ranked];
      const additionalIntents: IntentId[] = [];
      const primary = ranked[0]!.intent;
      for (const ranking of partRankings.map(allowed)) {
        const best = ranking[0];
        if (
          best &&
          best.confidence >= 0.6 &&
          actionable(best.intent) &&
          best.intent !== primary &&
          !additionalIntents.includes(best.intent)
        ) {
          additionalIntents.push(best.intent);
        }
      }
      // When the message holds two requests, the whole-message guess may blend them: lead with the first part's.
      const firstPart = partRankings[0] ? allowed(partRankings[0])[0] : undefined;
      let intents =
        additionalIntents.length > 0 &&
        firstPart &&
        firstPart.confidence >= 0.6 &&
        actionable(firstPart.intent)
          ? [firstPart, ...ranked.filter((item) => item.intent !== firstPart.intent)]
          : ranked;
      const slotContext = {
        now: context.now,
        timezone: context.timezone,
        expecting: context.expecting?.slot,
      };
      // Values after the customer's last correction win over the ones before it.
      const corrected = afterLastCorrection(reading);
      // (Times merge day and hour across the whole message in parseTime, so they are not overridden.)
      const { preferred_time: _time, ...correctedSlots } =
        corrected && corrected !== asked
          ? extractSlots(corrected, { ...slotContext, expecting: undefined })
          : {};
      const slots = { ...extractSlots(asked, slotContext), ...correctedSlots };
      const cues = detectCues(message);
      // A call-back at a given time is a booking (pattern 8): "ring me Tuesday at 9:30", "can someone
      // call me back Monday at 3" ask for a call then, not for a person now, and not to move a call
      // they do not mention having.
      const top = intents[0]!;
      if (
        slots.preferred_time &&
        callVerb.test(message) &&
        !existingCall.test(asked) &&
        callBackIntents.includes(top.intent) &&
        !excluded.has('calendar.book_call')
      ) {
        const booking = intents.find((item) => item.intent === 'calendar.book_call');
        intents = [
          { intent: 'calendar.book_call', confidence: Math.max(0.8, booking?.confidence ?? 0) },
          ...intents.filter((item) => item.intent !== 'calendar.book_call'),
        ];
        cues.wantsHuman = false;
      }
      if (
        intents[0]!.intent === 'account.update_contact' &&
        deliveryTo.test(asked) &&
        !changesAddress.test(asked)
      ) {
        intents = [
          { intent: 'billing.invoice_copy', confidence: intents[0]!.confidence },
          ...intents.filter((item) => item.intent !== 'billing.invoice_copy'),
        ];
      }
      return {
        intents,
        additionalIntents: additionalIntents.filter((intent) => intent !== intents[0]!.intent),
        slots,
        cues: { ...cues, retracts: reading.retracts },
      };
    },
    async phrase(draft) {
      return { text: draft.text };
    },
  };
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index += 1) {
    dot += a[index]! * b[index]!;
    normA += a[index]! * a[index]!;
    normB += b[index]! * b[index]!;
  }
  return normA > 0 && normB > 0 ? dot / Math.sqrt(normA * normB) : 0;
}
