import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseCommandLine } from '../../app/cli/command-line.ts';
import { projectRoot } from './processes.ts';

/**
 * `npx tsx bench/api/profile-report.ts <dir>`: where the CPU of the API and worker processes went
 * during the loads of a `npm run bench:api -- --cpu-prof=<dir>` run. Only samples inside the load
 * windows the bench wrote (`loads.json`) count, so start-up and the model warm-up stay out. Prints,
 * per process and load, self time by owner (a package, a project folder, wasm, node core) and the
 * functions with the most self and total time, in ms per turn when the turn count is given.
 */
const command = {
  command: 'npx tsx bench/api/profile-report.ts',
  positionals: {
    synopsis: '<dir>',
    min: 1,
    max: 1,
    description: 'the --cpu-prof directory of a bench:api run',
  },
  summary:
    'CPU self and total time by owner and by function, per process and load, from the V8 profiles a\n' +
    '`npm run bench:api -- --cpu-prof=<dir>` run wrote (only samples inside the measured loads).',
  options: {
    top: { type: 'string', value: '<n>', default: '25', description: 'functions to list' },
    turns: {
      type: 'string',
      value: '<n>',
      description: 'turns of the load (from the bench report), to print ms per turn',
    },
  },
  examples: ['npx tsx bench/api/profile-report.ts /tmp/prof --turns=200'],
} as const;
const { values, positionals } = parseCommandLine(command);
const directory = positionals[0]!;
const top = Number(values.top);
const turns = values.turns ? Number(values.turns) : undefined;

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
const windowsSchema = z.array(z.object({ name: z.string(), startUs: z.number(), endUs: z.number() }));
type Profile = z.infer<typeof profileSchema>;

const root = `file://${projectRoot}`;
/** A package (node_modules), a project folder, wasm, node core, or a V8 category such as (garbage collector). */
function ownerOf(url: string, functionName: string): string {
  const dependency = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
  if (dependency) return dependency;
  if (url.startsWith(root)) return url.slice(root.length).split('/').slice(0, 2).join('/');
  // Each wasm module apart: PGlite's and TensorFlow.js's are different modules.
  if (url.startsWith('wasm://')) return `wasm ${url.slice('wasm://wasm/'.length)}`;
  if (url.startsWith('node:')) return 'node core';
  return functionName || '(anonymous)';
}
const frameName = (frame: Profile['nodes'][number]['callFrame']) => {
  const file = frame.url
    .replace(/^file:\/\//, '')
    .replace(projectRoot, '')
    .replace(/.*node_modules\//, '');
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
};

function summarize(profile: Profile, startUs: number, endUs: number) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const owners = new Map<string, number>();
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let sampledMs = 0;
  let time = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    if (time < startUs || time > endUs) return;
    const ms = delta / 1000;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') return;
    sampledMs += ms;
    const owner = ownerOf(node.callFrame.url, node.callFrame.functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + ms);
    // Total time: each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const key = frameName(frame);
      if (seen.has(key) || frame.functionName === '(root)') continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + ms);
    }
  });
  return { sampledMs, owners, self, total };
}

const files = (await readdir(directory)).filter((file) => file.endsWith('.cpuprofile')).sort();
const windows = windowsSchema.parse(JSON.parse(await readFile(path.join(directory, 'loads.json'), 'utf8')));
const unit = (ms: number) => (turns ? `${(ms / turns).toFixed(2)} ms/turn` : `${ms.toFixed(0)} ms`);
const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
for (const file of files) {
  const profile = profileSchema.parse(JSON.parse(await readFile(path.join(directory, file), 'utf8')));
  const endUs = profile.startTime + profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
  for (const window of windows) {
    if (window.endUs < profile.startTime || window.startUs > endUs) continue;
    const { sampledMs, owners, self, total } = summarize(profile, window.startUs, window.endUs);
    if (sampledMs === 0) continue;
    console.log(`\n## ${file} — ${window.name}: ${sampledMs.toFixed(0)} ms on CPU (${unit(sampledMs)})\n`);
    console.log('| owner (self time) | ms | share |\n|---|---|---|');
    for (const [owner, ms] of sorted(owners).slice(0, 15))
      console.log(`| ${owner} | ${unit(ms)} | ${((ms / sampledMs) * 100).toFixed(1)}% |`);
    console.log('\n| function (self time) | ms | share |\n|---|---|---|');
    for (const [name, ms] of sorted(self).slice(0, top))
      console.log(`| ${name} | ${unit(ms)} | ${((ms / sampledMs) * 100).toFixed(1)}% |`);
    console.log('\n| function (total time) | ms | share |\n|---|---|---|');
    for (const [name, ms] of sorted(total).slice(0, top * 2))
      console.log(`| ${name} | ${unit(ms)} | ${((ms / sampledMs) * 100).toFixed(1)}% |`);
  }
}
