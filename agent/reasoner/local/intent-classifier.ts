import type { DeclaredIntent, Intent, IntentId } from '../../intents.ts';

/** Turns texts into vectors (the knowledge module's local model is injected). */
export interface TextEmbedder {
  embed(texts: string[]): Promise<number[][]>;
}

export interface IntentScore {
  intent: IntentId;
  confidence: number;
}

export interface IntentClassifierOptions {
  embedder: TextEmbedder;
  exemplars: Record<Intent, string[]>;
  /** How many nearest exemplars of an intent count toward its score. */
  neighbours?: number;
  /** Weight of the word features (hashed unigrams and bigrams) next to the sentence embedding. */
  wordWeight?: number;
  /** Softmax temperature over intent scores; calibrated in bench/agent. */
  temperature?: number;
}

/** Strong lexical signals that embeddings of short messages can miss. Each adds to a cosine score. */
const keywordBoosts: Array<[IntentId, RegExp, number]> = [
  [
    'account.access',
    /\b(lost|reset|locked|can'?t|cannot|recover|new phone|no access|stuck)\b.{0,40}\b(2fa|mfa|two[- ]factor|authenticator)\b|\b(2fa|mfa|two[- ]factor|authenticator)\b.{0,40}\b(lost|reset|locked|not working|new phone|broken)\b|\b(turn off|disable|remove|bypass|switch off)\b.{0,30}\b(2fa|mfa|two[- ]factor)\b|\blocked out\b|\block(ed)? me out\b|\b(can'?t|cannot|unable to) (log|sign) ?in\b|\baccount (is |got )?locked\b/i,
    0.12,
  ],
  [
    'privacy.data_request',
    /\b(gdpr|ccpa|erasure|right to be forgotten|delete (all )?(my|our) (personal )?data|export (all )?(my|our) (personal )?data|personal data|data subject)\b/i,
    0.12,
  ],
  [
    'billing.duplicate_charge',
    /\b(charged|billed|debited|hit|taken|went through|paid|charge[sd]?)\b.{0,25}\b(twice|two times|2 times|2x|double)\b|\bdouble[- ]?(charge|charged|billing|billed)\b|\bduplicate (charge|payment)/i,
    0.15,
  ],
  [
    'billing.change_plan',
    /\b(switch|upgrade|downgrade|move|change|go)\b.{0,30}\b(plan|tier|to (the )?(free|starter|pro|business))\b/i,
    0.15,
  ],
  [
    'billing.cancel_subscription',
    /\b(stop (billing|charging)|shut(ting)? (it |the \w+ |everything )?down|close (our|my) account|(don'?t|do not|not) renew)\b/i,
    0.15,
  ],
  [
    'calendar.reschedule_call',
    /\b(reschedul\w*|move|push|shift)\b.{0,30}\b(call|session|meeting|appointment|booking)\b/i,
    0.08,
  ],
  ['calendar.cancel_call', /\bcancel\w*\b.{0,30}\b(call|session|meeting|appointment|booking)\b/i, 0.1],
  [
    'ticket.status',
    /\b(status|update|progress|news)\b.{0,30}\b(ticket|case|request|TCK-\d+)\b|\bTCK-\d+\b/i,
    0.08,
  ],
  [
    'ticket.report_bug',
    /\b(down|outage|broken|not (loading|working|showing)|crash\w*|errors?|bug|missing|failing|fails|stopped working)\b/i,
    0.08,
  ],
  [
    'human.request',
    /\b(human|real person|representative|live agent|talk to (a |an )?(person|someone|agent))\b|\b(someone|somebody|a person|an agent)\b.{0,40}\b(call me|contact me|get back to me|reach out)\b|\bcall me back\b/i,
    0.12,
  ],
  ['kb.question', /^(how|what|when|where|which|why|is there|are there|do you|does|can i|can we)\b/i, 0.06],
  [
    'kb.question',
    /\b(how (long|many|much|do i|do we|does)|policy|limits?|supported|support for|work with)\b/i,
    0.05,
  ],
];

/**
 * kNN intent classifier. Each text is a sentence embedding joined with hashed word unigrams and
 * bigrams (the embedding alone blurs "book" / "move" / "cancel" a call); an intent's score is the mean
 * cosine similarity of its `neighbours` nearest exemplars (plus keyword boosts), and a softmax turns
 * scores into confidences. Measured in bench/agent/intent-accuracy.ts.
 */
const warmBatchSize = 16;

export function createIntentClassifier(options: IntentClassifierOptions) {
  const neighbours = options.neighbours ?? 5;
  const wordWeight = options.wordWeight ?? 0.8;
  const features = (embedding: number[], text: string) =>
    normalize([...normalize(embedding), ...wordFeatures(text).map((value) => value * wordWeight)]);
  const temperature = options.temperature ?? 0.04;
  const labels = Object.keys(options.exemplars) as Intent[];
  let index: Promise<IntentIndex> | undefined;

  const embedAll = async (
    all: Array<{ intent: IntentId; text: string }>,
    intentsOf: readonly IntentId[],
  ): Promise<IntentIndex> => {
    // In batches, yielding between them: the model runs on the caller's thread, and a server warming
    // up in the background must keep answering requests (health checks, the first customers).
    const vectors: number[][] = [];
    for (let start = 0; start < all.length; start += warmBatchSize) {
      const batch = all.slice(start, start + warmBatchSize).map((item) => item.text);
      vectors.push(...(await options.embedder.embed(batch)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const embeddingSize = vectors[0]?.length ?? 0;
    return intentsOf.map((intent) => ({
      intent,
      vectors: all.flatMap((item, position) =>
        item.intent === intent ? [indexed(features(vectors[position]!, item.text), embeddingSize)] : [],
      ),
      texts: all.filter((item) => item.intent === intent).map((item) => item.text),
    }));
  };

  const buildIndex = () =>
    embedAll(
      labels.flatMap((intent) => options.exemplars[intent].map((text) => ({ intent, text }))),
      labels,
    );

  const classifyWith = async (
    extra: Promise<IntentIndex> | null,
    texts: string[],
    extraBoosts: ReadonlyArray<[IntentId, RegExp, number]> = [],
  ) => {
    index ??= buildIndex();
    const [built, added, queries] = await Promise.all([index, extra, options.embedder.embed(texts)]);
    const all = added ? [...built, ...added] : built;
    return queries.map((query, position) =>
      rank(all, features(query, texts[position]!), texts[position]!, neighbours, temperature, extraBoosts),
    );
  };

  const classifier = {
    /** Embeds the exemplars (once); call at start-up to keep the first turn fast. */
    async warm(): Promise<void> {
      index ??= buildIndex();
      await index;
    },
    /** Intents ranked by confidence for each text. */
    classify: (texts: string[]): Promise<IntentScore[][]> => classifyWith(null, texts),
    /**
     * This classifier with more intents (declarative procedures' phrasings): the built-in index is
     * shared and embedded once; only the added phrasings are embedded, when first needed.
     */
    extend(
      extra: Partial<Record<DeclaredIntent, string[]>>,
      boosts: ReadonlyArray<[DeclaredIntent, RegExp, number]> = [],
    ): IntentRanker {
      const added = Object.entries(extra) as Array<[DeclaredIntent, string[]]>;
      if (added.length === 0) return classifier;
      let extraIndex: Promise<IntentIndex> | undefined;
      return {
        classify(texts) {
          extraIndex ??= embedAll(
            added.flatMap(([intent, phrasings]) => phrasings.map((text) => ({ intent, text }))),
            added.map(([intent]) => intent),
          );
          return classifyWith(extraIndex, texts, boosts);
        },
      };
    },
    /**
     * How each text reads to the built-in classifier: the built-in intent it would go to (with its
     * confidence) and the built-in exemplar most like it (cosine of the classifier's own features).
     * A declarative procedure's phrasings are checked with it, so they cannot take over a built-in
     * intent by accident.
     */
    async closeness(texts: string[]): Promise<PhrasingCloseness[]> {
      index ??= buildIndex();
      const [built, queries] = await Promise.all([index, options.embedder.embed(texts)]);
      return queries.map((query, position) => {
        const vector = features(query, texts[position]!);
        const [top] = rank(built, vector, texts[position]!, neighbours, temperature);
        let nearest: PhrasingCloseness['nearest'] = { intent: 'other', exemplar: '', similarity: -1 };
        for (const { intent, vectors, texts: exemplarTexts } of built) {
          vectors.forEach((candidate, at) => {
            const similarity = indexedDot(candidate, vector);
            if (similarity > nearest.similarity)
              nearest = { intent, exemplar: exemplarTexts[at]!, similarity };
          });
        }
        return { intent: top!.intent, confidence: top!.confidence, nearest };
      });
    },
  };
  return classifier;
}

/** How a text reads to the built-in intents (`IntentClassifier.closeness`). */
export interface PhrasingCloseness {
  intent: IntentId;
  confidence: number;
  nearest: { intent: IntentId; exemplar: string; similarity: number };
}

/** What the local reasoner needs of a classifier: a ranking of intents for each text. */
export interface IntentRanker {
  classify(texts: string[]): Promise<IntentScore[][]>;
}

type IntentIndex = Array<{ intent: IntentId; vectors: IndexedVector[]; texts: string[] }>;

export type IntentClassifier = ReturnType<typeof createIntentClassifier>;

/**
 * An exemplar's feature vector, split where it is dense (the sentence embedding) and where it is
 * sparse (the hashed words: a message has a handful of 1,024 buckets). The kNN's dot products then
 * take ~520 multiplications instead of 1,536 (the classifier was ~4% of a turn's CPU, measured with
 * bench/api/turn-cpu.ts), with the same products added in the same order: the same scores to the bit.
 */
interface IndexedVector {
  dense: Float32Array;
  /** Positions (in the whole vector) and values of the non-zero word features, in position order. */
  positions: Int32Array;
  values: Float32Array;
}

function indexed(vector: Float32Array, denseSize: number): IndexedVector {
  const positions: number[] = [];
  for (let position = denseSize; position < vector.length; position += 1)
    if (vector[position] !== 0) positions.push(position);
  return {
    dense: vector.slice(0, denseSize),
    positions: Int32Array.from(positions),
    values: Float32Array.from(positions, (position) => vector[position]!),
  };
}

/** `dot(whole exemplar vector, query)`: the zeros of the exemplar's word part add nothing. */
function indexedDot(vector: IndexedVector, query: Float32Array): number {
  const { dense, positions, values } = vector;
  let sum = 0;
  for (let position = 0; position < dense.length; position += 1) sum += dense[position]! * query[position]!;
  for (let entry = 0; entry < positions.length; entry += 1) sum += values[entry]! * query[positions[entry]!]!;
  return sum;
}

function rank(
  index: IntentIndex,
  query: Float32Array,
  text: string,
  neighbours: number,
  temperature: number,
  extraBoosts: ReadonlyArray<[IntentId, RegExp, number]> = [],
): IntentScore[] {
  // Each pattern tested once per text, its weight added to its intent in the list's order.
  const boosts = new Map<IntentId, number>();
  for (const [target, pattern, weight] of [...keywordBoosts, ...extraBoosts])
    if (pattern.test(text)) boosts.set(target, (boosts.get(target) ?? 0) + weight);
  const scores = index.map(({ intent, vectors }) => {
    const similarities = vectors.map((vector) => indexedDot(vector, query)).sort((a, b) => b - a);
    const top = similarities.slice(0, neighbours);
    const mean = top.reduce((sum, value) => sum + value, 0) / Math.max(1, top.length);
    return { intent, score: mean + (boosts.get(intent) ?? 0) };
  });
  const max = Math.max(...scores.map((item) => item.score));
  const exps = scores.map((item) => Math.exp((item.score - max) / temperature));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return scores
    .map((item, position) => ({ intent: item.intent, confidence: exps[position]! / total }))
    .sort((a, b) => b.confidence - a.confidence);
}

const wordBuckets = 1024;

/** Hashed bag of crudely stemmed words and word pairs, L2-normalised. */
export function wordFeatures(text: string): Float32Array {
  const words = (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).map((word) =>
    word.replace(/(ing|ed|es|s)$/, ''),
  );
  const vector = new Float32Array(wordBuckets);
  const add = (token: string) => {
    let hash = 2166136261;
    for (let position = 0; position < token.length; position += 1)
      hash = Math.imul(hash ^ token.charCodeAt(position), 16777619);
    vector[(hash >>> 0) % wordBuckets]! += 1;
  };
  words.forEach((word, position) => {
    add(word);
    if (position + 1 < words.length) add(`${word}_${words[position + 1]}`);
  });
  return normalize(vector);
}

function normalize(vector: number[] | Float32Array): Float32Array {
  const out = Float32Array.from(vector);
  const norm = Math.sqrt(out.reduce((sum, value) => sum + value * value, 0)) || 1;
  for (let position = 0; position < out.length; position += 1) out[position]! /= norm;
  return out;
}
