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
  /** The clause keeps something the agent could cancel ("keep the subscription"): it negates only removals. */
  keeps: boolean;
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
  /** Of the negated clauses, those that keep something (only a cancellation of it is excluded). */
  keeps: string[];
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
/**
 * Words that may stand between a negation and the action it scopes over: modal and desire verbs
 * ("don't want you to", "won't be needing"), articles and possessives ("no need for the refund"),
 * the passive ("shouldn't be cancelled"). A content verb in between ("didn't get a refund", "can't
 * find the invoice") ends the scope: that clause reports something, it does not take a request back.
 */
const scopeFiller =
  '(?:want(?:s|ed)?|need(?:s|ed|ing)?|wish|mean(?:t)?|plan(?:ning)?|intend(?:ed)?|wanna|have to|going to|gonna|asking|ask(?:ed)?|for|to|you|u|be|been|being|bother(?:ing)?|with|a|an|the|any|that|this|my|our|it|its|anything|request(?:ing)?|after all|anymore|any more|at all|right now|yet|just|really|actually|please)';
const negator =
  "(?:don'?t|do not|dont|doesn'?t|does not|(?:didn'?t|did not)(?=\\s+(?:want|need|mean|ask|request|order))|no need|not|never|without|no longer|won'?t|will not|wouldn'?t|would not|shouldn'?t|should not|mustn'?t|must not|refrain from|hold off(?: on)?|under no circumstances(?: should| must| do| are you to)?|rather (?:you |we )?(?:didn'?t|did not|not|wouldn'?t)|no thanks? to|no more|not interested in)";
const negatedAction = new RegExp(`\\b${negator}\\s+(?:${scopeFiller}\\s+){0,5}${actionVerb}\\b`, 'i');
/** "No refund please", "no cancellation needed": a bare "no" with an action noun and nothing reported. */
const noAction = new RegExp(
  `^(?:(?:so|then|and|ok(?:ay)?|actually)[,\\s]+)?no\\s+(?:\\w+\\s+)?${actionVerb}(?:\\s+(?:please|thanks|thank you|needed|necessary|required|for now|after all|anymore|then))*\\s*[.!]?$`,
  'i',
);
/**
 * Keeping something the agent could cancel ("keep the subscription", "leave the call as it is"): the
 * cancellation is not asked for. Not under a negation ("I don't want to keep it" asks the opposite).
 */
const keepsThing =
  /^(?:(?:no|ok(?:ay)?|actually|on second thoughts?|please|just|so|then|i(?:'d| would)? (?:rather|prefer to|like to|want to)|we(?:'d| would)? (?:rather|like to|want to)|let'?s|i'?ll|we'?ll|i(?:'m| am) going to|we(?:'re| are) going to|i (?:want|need) to|we (?:want|need) to)[,\s]+)*(?:keep|leave)\s+(?!me\b|us\b)(?:the|my|our|it|that|this|them|everything|things|both)\b(?!.*\b(?:change|move|switch|cancel)\b)/i;
/** "I was only asking how cancelling works": a question about an action, not a request for it. */
const onlyAsking = /\b(?:just|only|merely)\s+(?:asking|wondering|curious|checking|enquiring|inquiring)\b/i;
/** "the refund can wait", "the plan change can wait for now": the request is put off. */
const deferred = /\b(?:can|could|will have to) wait\b|\bleave (?:it|that) for (?:now|later)\b/i;
const retraction =
  /^(?:(?:hmm+|um+|uh+|oh|ok(?:ay)?|sorry|wait|hold on|hang on|actually|so)[,.!]?\s+)*(?:never ?mind|nvm|scratch that|forget (?:about )?(?:that|it|what i (?:said|wrote|asked)|my (?:last|previous) (?:message|request))|ignore (?:that|what i (?:said|wrote|asked)|my (?:last|previous) (?:message|request))|cancel that|disregard (?:that|what i (?:said|wrote|asked)|my (?:last|previous)(?: message| request)?)|i(?:'ve| have)? changed my mind|i take (?:that|it) back|strike that)\b/i;
const correction =
  /^(?:(?:hmm+|oh|ok(?:ay)?)[,.!]?\s+)*(?:no,?\s+wait|wait|sorry|actually|i mean|i meant|make (?:that|it)|rather|correction|scratch that|oops|on second thoughts?)\b/i;
/** A clause that only carries a discourse marker ("Actually", "wait", "hold on"): it asks for nothing. */
const markerOnly =
  /^(?:hmm+|um+|uh+|oh|ok(?:ay)?|sorry|wait|hold on|hang on|actually|stop|no|nope|so|well|right|on second thoughts?)[.!?,]*$/i;
/** A bare "no" answering the question before it ("Refund? No thanks", "Cancel it? No, …"). */
const bareNo = /^(?:no|nope|nah)(?:\s+(?:thanks|thank you|please))?\b/i;

/** "Could you not just refund me?", "why not cancel it now": a question urging the action, no negation. */
const urging = /\b(?:why|could you|can you|would you|will you|can'?t you|couldn'?t you)\s+not\b/gi;

function negates(clause: string): boolean {
  const text = clause.replace(urging, '');
  if (negatedAction.test(text) || deferred.test(text) || noAction.test(text) || onlyAsking.test(text))
    return true;
  return keepsThing.test(text);
}

/** Splits a message into clauses and marks their polarity. */
export function readClauses(message: string): ClauseReading {
  const parts = message
    .split(boundary)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const clauses: Clause[] = parts.map((text) => ({
    text,
    negated: negates(text),
    keeps: keepsThing.test(text) && !negatedAction.test(text),
    retracts: retraction.test(text),
    corrects: correction.test(text) || retraction.test(text),
  }));
  // "Cancel the call? No, …": a "no" right after a question turns the question down.
  for (let index = 1; index < clauses.length; index += 1)
    if (bareNo.test(clauses[index]!.text) && /\?\s*$/.test(clauses[index - 1]!.text))
      clauses[index - 1]!.negated = true;
  // Everything before the last retraction is taken back.
  const lastRetraction = clauses.findLastIndex((clause) => clause.retracts);
  const kept = clauses
    .slice(lastRetraction + 1)
    .filter((clause) => !clause.negated && !markerOnly.test(clause.text))
    .map((clause) => clause.text);
  return {
    clauses,
    kept: kept.join(', '),
    negated: clauses.filter((clause) => clause.negated).map((clause) => clause.text),
    keeps: clauses.filter((clause) => clause.negated && clause.keeps).map((clause) => clause.text),
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
