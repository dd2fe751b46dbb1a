import { containsInstructions } from './reasoner/local/cues.ts';

/**
 * Content the agent reads (articles, ticket bodies, emails, CRM notes) is data, never commands:
 * sentences that try to instruct the assistant are removed before anything is shown or used, and
 * returned so they can be logged for admins.
 */
export function stripInstructions(text: string): { clean: string; removed: string[] } {
  const sentences = text.match(/[^.!?\n]+[.!?]*\n?|\n/g) ?? [text];
  const removed: string[] = [];
  const kept = sentences.filter((sentence) => {
    if (!containsInstructions(sentence)) return true;
    removed.push(sentence.trim());
    return false;
  });
  return { clean: kept.join(''), removed };
}
