import type { SlotName } from '../events.ts';
import type { IntentId } from '../intents.ts';

/** What the reasoner read from one customer message. */
export interface Understanding {
  /** Intents ranked by calibrated confidence (0–1); the first is the best guess. */
  intents: Array<{ intent: IntentId; confidence: number }>;
  /** Further requests in the same message, in the order mentioned (multi-intent). */
  additionalIntents: IntentId[];
  /** Slot values found in the message (ids, amounts, emails, plan names, times as ISO instants). */
  slots: Partial<Record<SlotName, string>>;
  cues: {
    wantsHuman: boolean;
    /** 0 (calm) … 3 (very upset). */
    frustration: number;
    /** The message tries to make the agent act outside policy ("admin mode", another account…). */
    injection: boolean;
    affirmative: boolean;
    negative: boolean;
    /** The message takes back what was asked before ("scratch that", "never mind that"): a pending question is dropped. */
    retracts?: boolean;
  };
  usage?: TokenUsage;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** What the agent expects from this message, so short answers ("yes", "INV-1001") read right. */
export interface UnderstandingContext {
  now: Date;
  /** The customer's IANA time zone, for dates and times. */
  timezone: string;
  expecting?: { slot?: SlotName; confirmation?: boolean };
}

/** A reply the procedures wrote from facts; a reasoner may rephrase it but may not add facts. */
export interface ReplyDraft {
  text: string;
  /** The facts the reply may state (amounts, ids, dates, names, policy numbers). */
  facts: Record<string, string | number | boolean | null>;
}

/**
 * Understands messages and phrases replies. It never decides who the customer is, never calls a
 * connector and never skips a confirmation or an approval: procedures and the pipeline do.
 */
export interface Reasoner {
  readonly kind: 'local' | 'llm';
  understand(message: string, context: UnderstandingContext): Promise<Understanding>;
  phrase(draft: ReplyDraft): Promise<{ text: string; usage?: TokenUsage }>;
  /**
   * Cosine similarity of `query` to each of `texts` by meaning (sentence embeddings), when the
   * reasoner has an embedder: the knowledge answer gate uses it to tell a passage that answers the
   * question from one that merely shares its words (agent/procedures/passage-excerpt.ts `support`).
   */
  similarity?(query: string, texts: string[]): Promise<number[]>;
}
