import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The size budget of what a customer downloads (`npm run check:bundle`, and in CI through
 * scripts/check-bundle-budget.test.ts): the demo page's entry and the embeddable widget, counted as
 * the gzip bytes of every file they load before the chat is usable (their static import graph and its
 * CSS; the console and admin pages are separate chunks and must not be in it). A budget is a ceiling
 * with a little headroom over the measured size (README "Bundle size"): raising one is a decision.
 */
export const budgets = {
  /** `/`: index.html's entry script, the chunks it imports and its CSS. */
  customerEntry: { entry: 'index.html', gzipBytes: 185_000 },
  /** `widget.js`: the loader, the widget module and the chunks it imports. */
  widget: { entry: 'src/widget/widget.tsx', loader: 'widget.js', gzipBytes: 180_000 },
} as const;

/** A chunk in Vite's build manifest (dist/ui/.vite/manifest.json). */
interface ManifestChunk {
  file: string;
  name?: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

export interface BudgetLine {
  name: keyof typeof budgets;
  files: Array<{ file: string; bytes: number; gzipBytes: number }>;
  bytes: number;
  gzipBytes: number;
  budgetGzipBytes: number;
  problems: string[];
}

/** Files that must never load with the customer side: the staff pages. */
const staffChunk = /(?:^|\/)(?:console-app|admin-app)[-.]/;

function gzipSizeOf(directory: string, file: string): { bytes: number; gzipBytes: number } {
  const content = readFileSync(join(directory, file));
  // The precompressed copy is what the server sends; measure it when the build wrote one.
  const precompressed = join(directory, `${file}.gz`);
  const gzipBytes = existsSync(precompressed)
    ? readFileSync(precompressed).length
    : gzipSync(content, { level: 9 }).length;
  return { bytes: content.length, gzipBytes };
}

/** The files an entry loads up front: its chunk, its static imports (transitively) and their CSS. */
function staticGraph(manifest: Manifest, key: string): string[] {
  const files = new Set<string>();
  const visit = (chunkKey: string) => {
    const chunk = manifest[chunkKey];
    if (!chunk) throw new Error(`The build manifest has no chunk ${chunkKey}`);
    if (files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit(key);
  return [...files];
}

/** Measures `dist/ui` (or `directory`) against the budgets. */
export function checkBundleBudget(directory: string): BudgetLine[] {
  const manifestPath = join(directory, '.vite/manifest.json');
  if (!existsSync(manifestPath))
    throw new Error(`No build manifest at ${manifestPath}: run npm run build:ui first`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  return (Object.keys(budgets) as Array<keyof typeof budgets>).map((name) => {
    const budget = budgets[name];
    const problems: string[] = [];
    let fileNames: string[] = [];
    try {
      fileNames = staticGraph(manifest, budget.entry);
    } catch (error) {
      problems.push((error as Error).message);
    }
    if ('loader' in budget) {
      if (existsSync(join(directory, budget.loader))) fileNames.unshift(budget.loader);
      else problems.push(`${budget.loader} is missing`);
    }
    const files = fileNames.map((file) => ({ file, ...gzipSizeOf(directory, file) }));
    const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
    const gzipBytes = files.reduce((sum, file) => sum + file.gzipBytes, 0);
    for (const file of fileNames)
      if (staffChunk.test(file)) problems.push(`${file} (a staff page) loads with the ${name}`);
    if (gzipBytes > budget.gzipBytes)
      problems.push(`${name} is ${kb(gzipBytes)} gzip, over its budget of ${kb(budget.gzipBytes)}`);
    return { name, files, bytes, gzipBytes, budgetGzipBytes: budget.gzipBytes, problems };
  });
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

/** One line per budget, then its files: what the README's table shows. */
export function formatBudgetReport(lines: BudgetLine[]): string {
  return lines
    .map((line) =>
      [
        `${line.problems.length ? '✗' : '✓'} ${line.name}: ${kb(line.gzipBytes)} gzip of ${kb(line.budgetGzipBytes)} (${kb(line.bytes)} uncompressed)`,
        ...line.files.map((file) => `    ${file.file}: ${kb(file.gzipBytes)} gzip, ${kb(file.bytes)}`),
        ...line.problems.map((problem) => `    ${problem}`),
      ].join('\n'),
    )
    .join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Like every npm script: --help answers, an unknown option is refused (exit 2).
  const { parseCommandLine } = await import('../app/cli/command-line.ts');
  parseCommandLine({
    command: 'npm run check:bundle',
    summary:
      'Checks what a customer downloads against its gzip budget: the demo page entry and the embeddable\n' +
      'widget with every chunk and stylesheet they load before the chat works (built UI in dist/ui;\n' +
      'run npm run build:ui first). Exits 1 when a budget is exceeded or staff code is in the graph.',
    options: {},
    examples: ['npm run build:ui && npm run check:bundle'],
  } as const);
  const directory = fileURLToPath(new URL('../dist/ui/', import.meta.url));
  try {
    const lines = checkBundleBudget(directory);
    process.stdout.write(`${formatBudgetReport(lines)}\n`);
    process.exit(lines.some((line) => line.problems.length > 0) ? 1 : 0);
  } catch (error) {
    process.stderr.write(`check-bundle-budget: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
