import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { type Scenario, type ScenarioIssue, validateScenario } from './scenario-schema.ts';

/** One scenario and the file it came from. */
export interface LoadedScenario {
  file: string;
  scenario: Scenario;
}

/** A folder of scenarios, sorted by file name. */
export interface Suite {
  /** The folder's name (e.g. `core`). */
  name: string;
  folder: string;
  scenarios: LoadedScenario[];
}

/** One problem in one file, e.g. `evals/suites/core/refund-1.yaml: expect.writes[0].op: unknown operation …`. */
export interface SuiteProblem extends ScenarioIssue {
  file: string;
}

/**
 * A suite (or a scenario file) could not be loaded. The message has one line per problem, each
 * naming the file and the field; nothing of a suite with a bad file runs.
 */
export class SuiteLoadError extends Error {
  override name = 'SuiteLoadError';
  constructor(readonly problems: SuiteProblem[]) {
    super(problems.map((problem) => `${problem.file}: ${problem.path}: ${problem.message}`).join('\n'));
  }
}

/** Shows a path relative to the working directory when it is inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Parses and validates one scenario's YAML text; `file` is used in error messages only. */
export function parseScenario(source: string, file: string): Scenario {
  const shown = displayPath(file);
  const document = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError) {
    const position = yamlError.linePos?.[0];
    const where = position ? ` at line ${position.line}, column ${position.col}` : '';
    throw new SuiteLoadError([
      { file: shown, path: '(yaml)', message: `invalid YAML${where}: ${firstLine(yamlError.message)}` },
    ]);
  }
  const data: unknown = document.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SuiteLoadError([
      { file: shown, path: '(root)', message: 'must be a mapping (id, title, world, …)' },
    ]);
  }
  const validated = validateScenario(data);
  if ('issues' in validated) {
    throw new SuiteLoadError(validated.issues.map((issue) => ({ file: shown, ...issue })));
  }
  return validated.scenario;
}

/** Loads one scenario file. */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  return parseScenario(await readFile(file, 'utf8'), file);
}

/**
 * The `*.yaml` / `*.yml` files under `folder`, its subfolders included (a suite split into e.g.
 * `dev/` and `frozen/` runs whole from its root, or one part at a time), as paths relative to it,
 * sorted; folders whose name starts with "." are skipped. A flat folder gives its file names, in
 * the same order as before subfolders were read.
 */
async function scenarioFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)))
    .filter((relative) => !relative.split(path.sep).some((part) => part.startsWith('.')))
    .sort();
}

/**
 * Loads every `*.yaml` / `*.yml` file of `folder` and its subfolders. All files are checked and all
 * problems reported together; duplicate ids and an empty folder are errors too.
 */
export async function loadSuite(folder: string): Promise<Suite> {
  const resolved = path.resolve(folder);
  const shownFolder = displayPath(resolved);
  const info = await stat(resolved).catch(() => null);
  if (!info?.isDirectory()) {
    throw new SuiteLoadError([{ file: shownFolder, path: '(suite)', message: 'is not a folder' }]);
  }
  const names = await scenarioFiles(resolved);
  if (names.length === 0) {
    throw new SuiteLoadError([
      { file: shownFolder, path: '(suite)', message: 'has no .yaml scenario files' },
    ]);
  }
  const problems: SuiteProblem[] = [];
  const scenarios: LoadedScenario[] = [];
  for (const name of names) {
    const file = path.join(resolved, name);
    try {
      scenarios.push({ file: displayPath(file), scenario: await loadScenarioFile(file) });
    } catch (error) {
      if (error instanceof SuiteLoadError) problems.push(...error.problems);
      else problems.push({ file: displayPath(file), path: '(file)', message: (error as Error).message });
    }
  }
  const firstFileOfId = new Map<string, string>();
  for (const { file, scenario } of scenarios) {
    const earlier = firstFileOfId.get(scenario.id);
    if (earlier)
      problems.push({ file, path: 'id', message: `duplicate id "${scenario.id}" (also in ${earlier})` });
    else firstFileOfId.set(scenario.id, file);
  }
  if (problems.length > 0) throw new SuiteLoadError(problems);
  return { name: path.basename(resolved), folder: shownFolder, scenarios };
}

/** The first line of a `yaml` error, without the position it appends (reported separately). */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
