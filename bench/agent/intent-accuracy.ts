import { readFile } from 'node:fs/promises';
import type { Intent } from '../../agent/intents.ts';
import { parseCommandLine } from '../../app/cli/command-line.ts';

/**
 * `npx tsx bench/agent/intent-accuracy.ts`: accuracy of the local intent classifier on the held-out
 * set (never used for training), per-intent recall and confusions, and how confidence is calibrated
 * (accuracy per confidence band) — the numbers behind the agent's clarify/escalate threshold.
 */
parseCommandLine({
  command: 'npm run bench:agent',
  summary:
    'Accuracy of the local intent classifier on the held-out utterances (bench/agent/\n' +
    'held-out-utterances.yaml, never used for training): overall (target ≥ 92%), recall and confusions\n' +
    'per intent, and accuracy per confidence band. Loads the embedding model (~10-20 s); prints\n' +
    'Markdown tables. (The turn latency benchmark is `npx tsx bench/agent/turn-latency.ts`.)',
  options: {},
  examples: ['npm run bench:agent'],
});
// The bench's modules load only once the command line is valid, so --help answers at once.
const [{ parse }, { z }, { intents }, { exemplars }, { createIntentClassifier }, { sharedLocalEmbedder }] =
  await Promise.all([
    import('yaml'),
    import('zod'),
    import('../../agent/intents.ts'),
    import('../../agent/reasoner/local/exemplars.ts'),
    import('../../agent/reasoner/local/intent-classifier.ts'),
    import('../../knowledge/local-embedder.ts'),
  ]);

const heldOut = z
  .object({ utterances: z.array(z.object({ text: z.string(), intent: z.enum(intents) })) })
  .parse(parse(await readFile(new URL('./held-out-utterances.yaml', import.meta.url), 'utf8')));

const embedder = sharedLocalEmbedder();
const classifier = createIntentClassifier({ embedder, exemplars });
const loadStarted = performance.now();
await classifier.warm();
const loadMs = performance.now() - loadStarted;
const started = performance.now();
const rankings = await classifier.classify(heldOut.utterances.map((item) => item.text));
const perUtteranceMs = (performance.now() - started) / heldOut.utterances.length;

const perIntent = new Map<Intent, { total: number; correct: number; confusions: Map<string, number> }>();
const bands = [0.9, 0.7, 0.5, 0.3, 0];
const byBand = new Map<number, { total: number; correct: number }>(
  bands.map((band) => [band, { total: 0, correct: 0 }]),
);
let correct = 0;
heldOut.utterances.forEach((item, position) => {
  const top = rankings[position]![0]!;
  const stats = perIntent.get(item.intent) ?? { total: 0, correct: 0, confusions: new Map() };
  stats.total += 1;
  const right = top.intent === item.intent;
  if (right) {
    stats.correct += 1;
    correct += 1;
  } else stats.confusions.set(top.intent, (stats.confusions.get(top.intent) ?? 0) + 1);
  perIntent.set(item.intent, stats);
  const band = bands.find((value) => top.confidence >= value)!;
  byBand.get(band)!.total += 1;
  if (right) byBand.get(band)!.correct += 1;
});

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
console.log(
  `held-out utterances: ${heldOut.utterances.length}, exemplars: ${Object.values(exemplars).flat().length}`,
);
console.log(`accuracy: ${pct(correct / heldOut.utterances.length)} (target ≥ 92%)`);
console.log(
  `exemplar index build (model load + embedding): ${(loadMs / 1000).toFixed(1)} s; classification: ${perUtteranceMs.toFixed(1)} ms per utterance (batched)\n`,
);
console.log('| intent | n | recall | confused with |');
console.log('|---|---|---|---|');
for (const intent of intents) {
  const stats = perIntent.get(intent);
  if (!stats) continue;
  const confusions = [...stats.confusions].map(([other, count]) => `${other} ×${count}`).join(', ');
  console.log(`| ${intent} | ${stats.total} | ${pct(stats.correct / stats.total)} | ${confusions} |`);
}
console.log('\n| confidence ≥ | utterances | accuracy |');
console.log('|---|---|---|');
for (const band of bands) {
  const stats = byBand.get(band)!;
  console.log(
    `| ${band.toFixed(1)} | ${stats.total} | ${stats.total ? pct(stats.correct / stats.total) : '–'} |`,
  );
}
