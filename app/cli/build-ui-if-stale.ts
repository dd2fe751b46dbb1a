import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `prestart`: builds the web UI (`vite build`) when `dist/ui` is missing or older than its sources,
 * so `npm start` always serves a current UI. Without vite (an image installed with
 * `--omit=dev` that did not build the UI) it says so and lets the server start: the UI routes then
 * answer 503 with the command to run.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const sources = [
  join(root, 'ui/src'),
  join(root, 'ui/public'),
  join(root, 'ui/index.html'),
  join(root, 'ui/vite.config.ts'),
];
const builtIndex = join(root, 'dist/ui/index.html');
const builtWidget = join(root, 'dist/ui/widget.js');

/** The newest modification time under `path` (a file or a folder), 0 when it does not exist. */
export function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function isStale(): boolean {
  if (!existsSync(builtIndex) || !existsSync(builtWidget)) return true;
  const built = Math.min(statSync(builtIndex).mtimeMs, statSync(builtWidget).mtimeMs);
  return sources.some((source) => newestMtime(source) > built);
}

if (!existsSync(join(root, 'ui/src'))) {
  // A deployment that ships only dist/ui (no sources): nothing to compare against.
  process.exit(0);
}
if (!isStale()) {
  process.stdout.write('Web UI is up to date (dist/ui).\n');
  process.exit(0);
}
const vite = join(root, 'node_modules/.bin/vite');
if (!existsSync(vite)) {
  process.stderr.write(
    'Web UI is missing or stale and vite is not installed: run `npm run build:ui` where it is.\n',
  );
  process.exit(0);
}
process.stdout.write('Building the web UI (dist/ui)…\n');
const result = spawnSync(vite, ['build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
