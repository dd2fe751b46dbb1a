import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';

const questionSchema = z.object({
  id: z.string().min(1),
  q: z.string().min(1),
  relevant: z.array(z.string()),
  audience: z.enum(['public', 'internal']).optional(),
});

/** One labeled question: `relevant` is empty when the knowledge base cannot answer it. */
export type LabeledQuestion = z.infer<typeof questionSchema>;

/** Reads `knowledge/eval/questions.yaml` (or another file of the same shape). */
export async function readLabeledSet(file: string): Promise<LabeledQuestion[]> {
  const parsed = z.object({ questions: z.array(questionSchema) }).parse(parse(await readFile(file, 'utf8')));
  const ids = new Set<string>();
  for (const question of parsed.questions) {
    if (ids.has(question.id)) throw new Error(`${file}: duplicate question id ${question.id}`);
    ids.add(question.id);
  }
  return parsed.questions;
}

/**
 * Deterministic split by a hash of the id: about a third is held out. Pipeline choices and the
 * answerability calibration are made on `train` only; `heldOut` reports how well they generalise.
 */
export function splitLabeledSet(questions: LabeledQuestion[]): {
  train: LabeledQuestion[];
  heldOut: LabeledQuestion[];
} {
  const heldOut = (question: LabeledQuestion) =>
    createHash('sha256').update(question.id).digest()[0]! % 3 === 0;
  return { train: questions.filter((q) => !heldOut(q)), heldOut: questions.filter(heldOut) };
}
