import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt } from '../test/browser/support.ts';
import { budgets, checkBundleBudget, formatBudgetReport } from './check-bundle-budget.ts';

const built = fileURLToPath(new URL('../dist/ui/', import.meta.url));

describe('the customer bundle budget', { timeout: 240_000 }, () => {
  it('holds for the current build: the demo page and the widget stay under their gzip budgets', async () => {
    await ensureUiBuilt();
    const lines = checkBundleBudget(built);
    const report = formatBudgetReport(lines);
    expect(
      lines.flatMap((line) => line.problems),
      report,
    ).toEqual([]);
    const widget = lines.find((line) => line.name === 'widget')!;
    // Split: the loader is tiny and the widget shares its chunks with the page.
    expect(widget.files[0]!.file).toBe('widget.js');
    expect(widget.files[0]!.bytes).toBeLessThan(2_000);
    expect(widget.files.length).toBeGreaterThan(2);
  });
});

describe('checkBundleBudget', () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  /** A fake build: `files` (name → size in random, incompressible bytes) and its manifest. */
  function fakeBuild(files: Record<string, number>, manifest: Record<string, unknown>): string {
    const directory = mkdtempSync(join(tmpdir(), 'sb-budget-'));
    directories.push(directory);
    mkdirSync(join(directory, 'assets'));
    mkdirSync(join(directory, '.vite'));
    for (const [file, size] of Object.entries(files)) writeFileSync(join(directory, file), randomBytes(size));
    writeFileSync(join(directory, '.vite/manifest.json'), JSON.stringify(manifest));
    return directory;
  }

  const smallManifest = {
    'index.html': {
      file: 'assets/index-a.js',
      isEntry: true,
      imports: ['_shared-b.js'],
      css: ['assets/index-c.css'],
    },
    'src/widget/widget.tsx': { file: 'assets/widget-app-d.js', isEntry: true, imports: ['_shared-b.js'] },
    '_shared-b.js': { file: 'assets/shared-b.js' },
  };

  it('counts every file an entry loads up front, once', () => {
    const directory = fakeBuild(
      {
        'assets/index-a.js': 1000,
        'assets/shared-b.js': 2000,
        'assets/index-c.css': 500,
        'assets/widget-app-d.js': 300,
        'widget.js': 200,
      },
      smallManifest,
    );
    const [entry, widget] = checkBundleBudget(directory);
    expect(entry!.files.map((file) => file.file)).toEqual([
      'assets/index-a.js',
      'assets/index-c.css',
      'assets/shared-b.js',
    ]);
    expect(entry!.bytes).toBe(3500);
    expect(widget!.files.map((file) => file.file)).toEqual([
      'widget.js',
      'assets/widget-app-d.js',
      'assets/shared-b.js',
    ]);
    expect(entry!.problems).toEqual([]);
    expect(widget!.problems).toEqual([]);
  });

  it('fails an entry over its budget, naming it and the sizes', () => {
    const tooBig = budgets.customerEntry.gzipBytes + 10_000;
    const directory = fakeBuild(
      {
        'assets/index-a.js': tooBig,
        'assets/shared-b.js': 10,
        'assets/index-c.css': 10,
        'assets/widget-app-d.js': 10,
        'widget.js': 10,
      },
      smallManifest,
    );
    const [entry] = checkBundleBudget(directory);
    expect(entry!.problems).toEqual([
      expect.stringMatching(/^customerEntry is \d+\.\d kB gzip, over its budget of 185\.0 kB$/),
    ]);
    expect(formatBudgetReport([entry!])).toMatch(/^✗ customerEntry/);
  });

  it('fails when a staff page loads with the customer side, or the widget loader is missing', () => {
    const directory = fakeBuild(
      {
        'assets/index-a.js': 100,
        'assets/admin-app-x.js': 100,
        'assets/index-c.css': 10,
        'assets/widget-app-d.js': 10,
      },
      {
        ...smallManifest,
        'index.html': {
          file: 'assets/index-a.js',
          isEntry: true,
          imports: ['src/admin/admin-app.tsx'],
          css: ['assets/index-c.css'],
        },
        'src/admin/admin-app.tsx': { file: 'assets/admin-app-x.js' },
        'src/widget/widget.tsx': { file: 'assets/widget-app-d.js', isEntry: true },
      },
    );
    const [entry, widget] = checkBundleBudget(directory);
    expect(entry!.problems).toEqual(['assets/admin-app-x.js (a staff page) loads with the customerEntry']);
    expect(widget!.problems).toEqual(['widget.js is missing']);
  });

  it('refuses a directory without a build manifest', () => {
    const directory = mkdtempSync(join(tmpdir(), 'sb-budget-'));
    directories.push(directory);
    expect(() => checkBundleBudget(directory)).toThrow(/No build manifest/);
  });
});
