/**
 * Clause-level reading of a customer message (issue #19, patterns 2 and 7): which parts of the
 * message ask for something, which parts negate or defer an action ("please don't cancel…", "no need
 * to refund…", "the refund can wait"), and where the customer takes back what came before ("scratch
 * that", "never mind that") or corrects it ("no wait", "I mean", "make that"). The local reasoner
 * classifies what is still asked for, never a negated action, and reads slots after the last
 * correction first (docs/evals.md, "Generalization suite": the mechanisms).
 */

export interface Clause {
  text: string;
  /** The clause negates or defers an action ("don't cancel it", "the refund can wait"). */
  negated: boolean;
  /** The clause takes back everything said before it ("scratch that", "never mind that"). */
  retracts: boolean;
  /** The clause corrects what came before ("no wait", "I mean", "make that", "actually"). */
  corrects: boolean;
}

export interface ClauseReading {
  clauses: Clause[];
  /** The clauses that still ask for something, joined: what the intent and slots are read from. */
  kept: string;
  /** The negated clauses (their intents must not be acted on). */
  negated: string[];
  /** The message takes back an earlier request (this turn's or a pending one). */
  retracts: boolean;
  /** The message corrects itself: a value after the correction wins over one before it. */
  corrects: boolean;
}

// Sentence ends, dashes and commas separate clauses; so do contrastive "but"/"instead of".
const boundary = /(?<=[.!?;])\s+|\s+[-–—]+\s+|,\s*|\s+but\s+|\s+though\s+/i;

/** Verbs of the actions the agent can take: a negation scoping over one of them negates the request. */
const actionVerb =
  '(?:cancel\\w*|refund\\w*|book\\w*|chang\\w*|upgrad\\w*|downgrad\\w*|switch\\w*|send|sent|email\\w*|mov\\w*|reschedul\\w*|delet\\w*|clos\\w*|terminat\\w*|charg\\w*|retry\\w*|remov\\w*|stop\\w*|end|touch)';
const negatedAction = new RegExp(
  `\\b(?:don'?t|do not|dont|doesn'?t|does not|didn'?t mean to|no need to|not|never|without|no longer)\\s+(?:(?:want|need|wish|mean|plan|intend)\\s+(?:you\\s+)?(?:to\\s+)?|wanna\\s+|have to\\s+|to\\s+|going to\\s+|gonna\\s+|asking (?:you )?to\\s+|ask(?:ing)? for\\s+(?:a\\s+)?)?${actionVerb}\\b`,
  'i',
);
/** "the refund can wait", "the plan change can wait for now": the request is put off. */
const deferred = /\b(?:can|could|will have to) wait\b|\bleave (?:it|that) for (?:now|later)\b/i;
const retraction =
  /^(?:(?:hmm+|um+|uh+|oh|ok(?:ay)?|sorry|wait)[,.!]?\s+)*(?:never ?mind|nvm|scratch that|forget (?:about )?(?:that|it)|ignore (?:that|my (?:last|previous) (?:message|request))|cancel that|disregard (?:that|my last))\b/i;
const correction =
  /^(?:(?:hmm+|oh|ok(?:ay)?)[,.!]?\s+)*(?:no,?\s+wait|wait|sorry|actually|i mean|i meant|make (?:that|it)|rather|correction|scratch that|oops)\b/i;

/** Splits a message into clauses and marks their polarity. */
export function readClauses(message: string): ClauseReading {
  const parts = message
    .split(boundary)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const clauses: Clause[] = parts.map((text) => ({
    text,
    negated: negatedAction.test(text) || deferred.test(text),
    retracts: retraction.test(text),
    corrects: correction.test(text) || retraction.test(text),
  }));
  // Everything before the last retraction is taken back.
  const lastRetraction = clauses.findLastIndex((clause) => clause.retracts);
  const kept = clauses
    .slice(lastRetraction + 1)
    .filter((clause) => !clause.negated)
    .map((clause) => clause.text);
  return {
    clauses,
    kept: kept.join(', '),
    negated: clauses.filter((clause) => clause.negated).map((clause) => clause.text),
    retracts: lastRetraction >= 0,
    corrects: clauses.some((clause) => clause.corrects),
  };
}

/**
 * The text after the last correction, when there is one with content ("Tuesday at 10, no wait, make
 * that 2pm" → "make that 2pm"); values found there win over earlier ones.
 */
export function afterLastCorrection(reading: ClauseReading): string | undefined {
  const index = reading.clauses.findLastIndex((clause) => clause.corrects);
  if (index < 0) return undefined;
  const rest = reading.clauses
    .slice(index)
    .filter((clause) => !clause.negated)
    .map((clause) => clause.text)
    .join(', ');
  return rest.length > 0 ? rest : undefined;
}
