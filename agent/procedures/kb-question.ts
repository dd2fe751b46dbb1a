import { bestPassage, covers, extract } from './passage-excerpt.ts';
import type { Procedure } from './procedure.ts';

/** Answered from the knowledge base with citations; "I don't know" (and a human offered) below the threshold. */
export const kbQuestionProcedure: Procedure = {
  intent: 'kb.question',
  title: 'an answer from our help center',
  verification: 'none',
  slots: {},
  async plan(context) {
    const answer = await context.answer(context.message);
    const best = answer.passages.length > 0 ? bestPassage(answer.passages, context.message) : null;
    if (!answer.answerable || !best || !covers(best, context.message)) {
      return {
        kind: 'escalate',
        reason: 'low_confidence',
        priority: 'low',
        text: "I couldn't find a reliable answer to that in our help center, and I'd rather not guess. I've passed your question to a colleague, who will reply here.",
        summary: `Knowledge question without a good answer (confidence ${answer.confidence.toFixed(2)}): "${context.message.slice(0, 300)}"`,
      };
    }
    const excerpt = extract(best.content, context.message);
    // Another cited article that also covers the question may hold the fact the first one lacks
    // ("within 30 days" in the refund policy when "how long refunds take" ranked first): its best sentence.
    const also = answer.passages.find(
      (passage) => passage.slug !== best.slug && covers(passage, context.message),
    );
    const addition = also ? extract(also.content, context.message, { sentences: 1 }) : '';
    const sources = answer.citations
      .map((citation) => `${citation.title}${citation.url ? ` (${citation.url})` : ''}`)
      .join('; ');
    return {
      kind: 'reply',
      outcome: 'answered',
      text:
        `From our help center, "${best.title}"${best.heading ? ` — ${best.heading}` : ''}: ${excerpt}` +
        (also && addition && !excerpt.includes(addition) ? `\n\nAlso in "${also.title}": ${addition}` : '') +
        `\n\nSource: ${sources}`,
      citations: answer.citations,
    };
  },
};
