import type { RawDocument } from '../../knowledge/documents.ts';

/** Words swapped in copies, so a copy's sentences are new text for the encoder, not repeats. */
const swaps: Array<[RegExp, string[]]> = [
  [/\bworkspace\b/g, ['project', 'organisation', 'team space']],
  [/\bdashboard\b/g, ['board', 'report page', 'overview']],
  [/\binvoice\b/g, ['bill', 'statement', 'receipt']],
  [/\bteam\b/g, ['group', 'department', 'crew']],
  [/\baccount\b/g, ['profile', 'subscription', 'login']],
  [/\bsettings\b/g, ['preferences', 'configuration', 'options']],
];
const products = ['Lumen Analytics', 'Lumen Mobile', 'Lumen Enterprise', 'Lumen Edge', 'Lumen Labs'];

/**
 * A help center of `count` documents grown from the demo articles: the originals first, then copies
 * with their own slug and title (so every embedded "title: sentence" is new), words swapped and each
 * paragraph's sentences rotated. Deterministic, so runs compare.
 */
export function growCorpus(originals: RawDocument[], count: number): RawDocument[] {
  const documents: RawDocument[] = [];
  for (let index = 0; index < count; index += 1) {
    const original = originals[index % originals.length]!;
    const copy = Math.floor(index / originals.length);
    const text =
      typeof original.content === 'string' ? original.content : new TextDecoder().decode(original.content);
    if (copy === 0) {
      documents.push({ source: original.source, content: text });
      continue;
    }
    const product = products[(copy - 1) % products.length]!;
    const [, frontMatter = '', body = text] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text) ?? [];
    const header = frontMatter
      .replace(/^slug: (.*)$/m, (_line, slug: string) => `slug: ${slug}-${copy}`)
      .replace(/^title: (.*)$/m, (_line, title: string) => `title: ${title} in ${product}`);
    let varied = body;
    swaps.forEach(([pattern, words], position) => {
      varied = varied.replace(pattern, words[(copy + position) % words.length]!);
    });
    const rotated = varied
      .split('\n')
      .map((line) => {
        if (line.startsWith('#') || line.startsWith('```') || line.startsWith('|')) return line;
        const sentences = line.split(/(?<=[.!?])\s+/);
        if (sentences.length < 2) return line;
        const shift = copy % sentences.length;
        return [...sentences.slice(shift), ...sentences.slice(0, shift)].join(' ');
      })
      .join('\n');
    documents.push({ source: `copy-${copy}/${original.source}`, content: `---\n${header}\n---\n${rotated}` });
  }
  return documents;
}
