import type { Understanding } from '../reasoner.ts';

const humanPattern =
  /\b(talk|speak|chat|connect|transfer|escalate)\b.{0,30}\b(human|person|someone|somebody|agent|representative|rep|manager|supervisor|staff)\b|\b(real|actual|live) (person|human|agent)\b|\bhuman (please|pls)\b|^(agent|human|representative|operator)[.!]*$/i;
const frustrationWords =
  /\b(ridiculous|terrible|awful|worst|useless|unacceptable|furious|angry|pathetic|scam|rip-?off|incompetent|fed up|sick of|wtf|joke|disgusting|horrible|hate|disaster|furious|livid|outraged|third time|nobody (has )?helped|still not (fixed|resolved))\b/gi;
const injectionPattern =
  /\b(ignore|disregard|forget) (all |any |the |your )?(previous |prior |above |earlier )?(instructions|rules|policies|polic(y|ies)|guidelines|prompt)\b|\b(admin|developer|god|debug|maintenance|root) mode\b|\bsystem prompt\b|\bjailbreak\b|\byou are now\b|\bpretend (to be|you are)\b|\bact as (an? )?(admin|administrator|system|developer)\b|\b(override|bypass|skip) (the )?(policy|policies|limits?|verification|approval|rules)\b|\b(another|other|different) (customer|account|company)'?s?\b.{0,40}\b(refund|invoice|data|cancel|change|email|details)\b|\b(refund|invoices?|data|details|cancel)\b.{0,40}\b(another|other|different) (customer|company)|\b(on behalf of|for) (account|customer) [a-z]+_\w+\b|\bno confirmation (needed|required)\b|\bwithout (asking|confirmation|confirming)\b|\bas (the|their) (new )?(billing )?(admin|administrator|owner) (for|of)\b|\b(cancel|refund|change|delete|close)\b.{0,30}\btheir (subscription|account|invoice|payment|plan|data)\b|\bas an? (admin|administrator|superuser)\b/i;
const affirmativePattern =
  /^(y|yes|yeah|yep|yup|sure|ok|okay|alright|go ahead|go for it|please do|please|do it|confirm(ed)?|correct|that'?s right|sounds good|absolutely|definitely|of course|yes please|please go ahead)\b/i;
const negativePattern =
  /^(n|no|nope|nah|don'?t|do not|cancel|stop|never ?mind|not now|no thanks|no thank you|hold on|wait|decline)\b/i;

/** Human-request, frustration, injection and yes/no cues of a message. */
export function detectCues(message: string): Understanding['cues'] {
  const text = message.trim();
  const frustrationHits = text.match(frustrationWords)?.length ?? 0;
  const shouting = text.length > 12 && text === text.toUpperCase() && /[A-Z]{4,}/.test(text) ? 1 : 0;
  const exclamations = /!{2,}/.test(text) ? 1 : 0;
  return {
    wantsHuman: humanPattern.test(text),
    frustration: Math.min(3, frustrationHits + shouting + exclamations),
    injection: injectionPattern.test(text),
    affirmative: affirmativePattern.test(text) && !negativePattern.test(text),
    negative: negativePattern.test(text),
  };
}

/** Instructions hidden in content the agent reads (articles, tickets, emails, CRM notes). */
export function containsInstructions(content: string): boolean {
  return (
    injectionPattern.test(content) ||
    /\b(assistant|ai|bot|agent),? (must|should|shall|will) (now )?(refund|send|email|cancel|grant|issue|reveal)\b/i.test(
      content,
    )
  );
}
