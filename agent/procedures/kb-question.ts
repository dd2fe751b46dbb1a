import {
  bestPassage,
  covers,
  extract,
  focusQuestion,
  meaningNeedsConfidence,
  type SentenceSupport,
  sentenceSupportThreshold,
  support,
} from './passage-excerpt.ts';
import type { Plan, Procedure, ProcedureContext } from './procedure.ts';

/**
 * The knowledge base's answer to the customer's message as a plan, and whether the help center holds
 * material about the question at all (its calibrated rule answers) even when the gate refused it.
 */
export async function planFromKnowledge(
  context: ProcedureContext,
): Promise<{ plan: Plan; relevant: boolean }> {
  // The question without the greetings and hedges around it (they dilute the search).
  const question = focusQuestion(context.message);
  const answer = await context.answer(question);
  const best = answer.passages.length > 0 ? bestPassage(answer.passages, question) : null;
  // Words first (covers), then meaning: a passage whose best sentence says what was asked in other
  // words ("shove into one batch" / "events per batch request") supports the answer too.
  const meanings = new Map<string, SentenceSupport>();
  if (context.similarity)
    for (const passage of answer.passages)
      meanings.set(passage.slug + passage.heading, await support(passage, question, context.similarity));
  const meaning = best ? meanings.get(best.slug + best.heading) : undefined;
  const strongest = Math.max(0, ...[...meanings.values()].map((item) => item.best));
  const supported =
    best !== null &&
    (covers(best, question) ||
      (strongest >= sentenceSupportThreshold && answer.confidence >= meaningNeedsConfidence));
  if (!answer.answerable || !best || !supported) {
    return {
      relevant: answer.answerable,
      plan: {
        kind: 'escalate',
        reason: 'low_confidence',
        priority: 'low',
        text: "I couldn't find a reliable answer to that in our help center, and I'd rather not guess. I've passed your question to a colleague, who will reply here.",
        summary: `Knowledge question without a good answer (confidence ${answer.confidence.toFixed(2)}): "${context.message.slice(0, 300)}"`,
        // Which articles were on the topic but not good enough: the admin's usage counts (docs/knowledge.md).
        ...(answer.passages.length > 0
          ? { knowledgeCandidates: [...new Set(answer.passages.map((passage) => passage.slug))].slice(0, 3) }
          : {}),
      },
    };
  }
  const excerpt = extract(best.content, question, meaning ? { semantic: meaning.scores } : {});
  // Another cited article that also supports the question may hold the fact the first one lacks
  // ("within 30 days" in the refund policy when "how long refunds take" ranked first; the price
  // when the question also asks about the SLA): its best sentence.
  let also: (typeof answer.passages)[number] | undefined;
  let alsoMeaning: SentenceSupport | null = null;
  for (const passage of answer.passages) {
    if (passage.slug === best.slug) continue;
    const passageMeaning = meanings.get(passage.slug + passage.heading) ?? null;
    if (covers(passage, question) || (passageMeaning?.best ?? 0) >= sentenceSupportThreshold) {
      also = passage;
      alsoMeaning = passageMeaning;
      break;
    }
  }
  const addition = also
    ? extract(also.content, question, {
        sentences: 1,
        ...(alsoMeaning ? { semantic: alsoMeaning.scores } : {}),
      })
    : '';
  const sources = answer.citations
    .map((citation) => `${citation.title}${citation.url ? ` (${citation.url})` : ''}`)
    .join('; ');
  return {
    relevant: true,
    plan: {
      kind: 'reply',
      outcome: 'answered',
      text:
        `From our help center, "${best.title}"${best.heading ? ` — ${best.heading}` : ''}: ${excerpt}` +
        (also && addition && !excerpt.includes(addition) ? `\n\nAlso in "${also.title}": ${addition}` : '') +
        `\n\nSource: ${sources}`,
      citations: answer.citations,
    },
  };
}

/** Answered from the knowledge base with citations; "I don't know" (and a human offered) below the threshold. */
export const kbQuestionProcedure: Procedure = {
  intent: 'kb.question',
  title: 'an answer from our help center',
  verification: 'none',
  slots: {},
  async plan(context) {
    return (await planFromKnowledge(context)).plan;
  },
};
