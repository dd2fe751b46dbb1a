import { statesFact } from '../scenario-schema.ts';
import type { TranscriptEntry } from '../transcript.ts';
import { type CheckContext, type CheckResult, verdict } from './types.ts';

/** Every agent message of the run. */
export const agentMessages = (transcript: readonly TranscriptEntry[]): string[] =>
  transcript.flatMap((entry) => (entry.kind === 'agent' ? [entry.text] : []));

/** `expect.reply_includes`: each substring appears in some agent message (case-insensitive). */
export function checkReplyIncludes(context: CheckContext): CheckResult | null {
  const wanted = context.scenario.expect.reply_includes;
  if (!wanted) return null;
  const text = agentMessages(context.transcript).join('\n').toLowerCase();
  return verdict(
    'reply_includes',
    wanted
      .filter((needle) => !text.includes(needle.toLowerCase()))
      .map((needle) => `no agent message contains "${needle}"`),
  );
}

/** `expect.reply_excludes`: no agent message contains any of the substrings (case-insensitive). */
export function checkReplyExcludes(context: CheckContext): CheckResult | null {
  const banned = context.scenario.expect.reply_excludes;
  if (!banned) return null;
  const messages = agentMessages(context.transcript).map((message) => message.toLowerCase());
  return verdict(
    'reply_excludes',
    banned
      .filter((needle) => messages.some((message) => message.includes(needle.toLowerCase())))
      .map((needle) => `an agent message contains "${needle}"`),
  );
}

/**
 * `expect.reply_contains_fact`: each fact of the article (substring or `/regex/`, case-insensitive)
 * is stated in one agent message. Unlike `cites`, a citation alone does not pass it; the schema
 * already refused facts the customer wrote, so an echo of the question cannot pass it either.
 */
export function checkReplyFacts(context: CheckContext): CheckResult | null {
  const facts = context.scenario.expect.reply_contains_fact;
  if (!facts) return null;
  const messages = agentMessages(context.transcript);
  return verdict(
    'reply_contains_fact',
    facts
      .filter((fact) => !messages.some((message) => statesFact(message, fact)))
      .map((fact) => `no agent message states the fact ${fact.startsWith('/') ? fact : `"${fact}"`}`),
  );
}
