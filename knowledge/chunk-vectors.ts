import { type Chunk, plainText, sha256, splitSentences } from './chunking.ts';
import { type Embedder, embedInBatches } from './embedder.ts';
import { localModelId } from './local-embedder.ts';

/**
 * How a chunk becomes one vector. `whole`: the chunk's text in one embedding call.
 * `sentence-mean`: the normalised mean of its sentences' embeddings, each sentence prefixed with
 * the article title. The Universal Sentence Encoder is trained on sentences and blurs long
 * passages: on the training split the mean of sentences lifted vector recall@5 from 0.74 to 0.82.
 */
export type ChunkVectorStrategy = 'whole' | 'sentence-mean';

/** The strategy suited to an embedder: sentence means for the local sentence encoder, whole chunks otherwise. */
export const defaultStrategyFor = (embedder: Pick<Embedder, 'model'>): ChunkVectorStrategy =>
  embedder.model === localModelId ? 'sentence-mean' : 'whole';

/** The hash stored with a chunk: equal keys have equal vectors (same text, same strategy). */
export const chunkKey = (chunk: Pick<Chunk, 'embeddingText'>, strategy: ChunkVectorStrategy): string =>
  sha256(`${strategy}\n${chunk.embeddingText}`);

/** The texts embedded for one chunk under a strategy. */
export function embeddingUnits(
  chunk: Pick<Chunk, 'embeddingText' | 'headingPath' | 'content'>,
  strategy: ChunkVectorStrategy,
): string[] {
  if (strategy === 'whole') return [chunk.embeddingText];
  const title = chunk.headingPath[0] ?? '';
  const sentences = plainText(chunk.content)
    .split('\n')
    .flatMap((line) => splitSentences(line))
    .filter((sentence) => sentence.split(/\s+/).length > 2);
  return sentences.length > 0 ? sentences.map((sentence) => `${title}: ${sentence}`) : [chunk.embeddingText];
}

/** Embeds chunks (deduplicated by key) in batches; returns vectors by chunk key. */
export async function embedChunks(
  embedder: Embedder,
  chunks: Array<Pick<Chunk, 'embeddingText' | 'headingPath' | 'content'>>,
  strategy: ChunkVectorStrategy,
  batchSize = 32,
): Promise<Map<string, number[]>> {
  const unique = new Map(chunks.map((chunk) => [chunkKey(chunk, strategy), chunk]));
  const units = [...unique.values()].map((chunk) => embeddingUnits(chunk, strategy));
  // Sorted by length: a batch is padded to its longest text, so similar lengths waste less work.
  const texts = [...new Set(units.flat())].sort((a, b) => a.length - b.length);
  const vectors = await embedInBatches(embedder, texts, batchSize);
  const byText = new Map(texts.map((text, index) => [text, vectors[index]!]));
  const result = new Map<string, number[]>();
  [...unique.keys()].forEach((key, index) => {
    result.set(key, meanVector(units[index]!.map((text) => byText.get(text)!)));
  });
  return result;
}

/** Normalised mean of vectors (cosine search compares directions only). */
export function meanVector(vectors: number[][]): number[] {
  if (vectors.length === 1) return vectors[0]!;
  const sum = new Array<number>(vectors[0]!.length).fill(0);
  for (const vector of vectors) {
    for (const [index, value] of vector.entries()) sum[index]! += value;
  }
  const length = Math.hypot(...sum) || 1;
  return sum.map((value) => value / length);
}
