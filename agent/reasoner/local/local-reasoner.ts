import type { Intent } from '../../intents.ts';
import type { Reasoner, Understanding, UnderstandingContext } from '../reasoner.ts';
import { detectCues } from './cues.ts';
import type { IntentClassifier } from './intent-classifier.ts';
import { extractSlots } from './slots.ts';

/** Splits "refund my invoice and also book a call" into the requests it holds. */
const requestSeparator =
  /(?:[.!?;]\s+|\s+)(?:and also|also|and then|plus|another thing|one more thing|oh and|and (?=(?:can|could|please|i'?d|i want|i need|book|cancel|change|send|update|refund)\b))\s*/i;
const actionable = (intent: Intent) => !['other', 'kb.question'].includes(intent);

/**
 * The default reasoner: no LLM, works offline. Intents from a kNN classifier over sentence
 * embeddings, slots from patterns and chrono-node, cues from patterns; replies are the procedures'
 * templates as written (`phrase` returns the draft unchanged, so every fact is one the state holds).
 */
export function createLocalReasoner(classifier: IntentClassifier): Reasoner {
  return {
    kind: 'local',
    async understand(message: string, context: UnderstandingContext): Promise<Understanding> {
      const segments = message
        .split(requestSeparator)
        .map((segment) => segment.trim())
        .filter((segment) => segment.split(/\s+/).length >= 3);
      const texts = [message, ...(segments.length > 1 ? segments : [])];
      const [whole, ...parts] = await classifier.classify(texts);
      const additionalIntents: Intent[] = [];
      const primary = whole![0]!.intent;
      for (const ranking of parts) {
        const best = ranking[0]!;
        if (
          best.confidence >= 0.6 &&
          actionable(best.intent) &&
          best.intent !== primary &&
          !additionalIntents.includes(best.intent)
        ) {
          additionalIntents.push(best.intent);
        }
      }
      // When the message holds two requests, the whole-message guess may blend them: lead with the first part's.
      const firstPart = parts[0]?.[0];
      const intents =
        additionalIntents.length > 0 &&
        firstPart &&
        firstPart.confidence >= 0.6 &&
        actionable(firstPart.intent)
          ? [firstPart, ...whole!.filter((item) => item.intent !== firstPart.intent)]
          : whole!;
      return {
        intents,
        additionalIntents: additionalIntents.filter((intent) => intent !== intents[0]!.intent),
        slots: extractSlots(message, {
          now: context.now,
          timezone: context.timezone,
          expecting: context.expecting?.slot,
        }),
        cues: detectCues(message),
      };
    },
    async phrase(draft) {
      return { text: draft.text };
    },
  };
}
