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

/** What an emptied text field says instead: the field was all instructions. */
export const removedText = '[removed]';

/**
 * `stripInstructions` over every string inside a connector's answer (ticket subjects and comments,
 * CRM notes, interaction history, email text — whatever a vendor stores is written by someone), keys
 * and shape kept. A field that was nothing but instructions becomes `[removed]`.
 */
export function guardStrings<T>(value: T): { clean: T; removed: string[] } {
  const removed: string[] = [];
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') {
      const result = stripInstructions(item);
      if (result.removed.length === 0) return item;
      removed.push(...result.removed);
      return result.clean.trim() === '' ? removedText : result.clean.trim();
    }
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === 'object')
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, walk(inner)]));
    return item;
  };
  const clean = walk(value) as T;
  return { clean: removed.length > 0 ? clean : value, removed };
}
