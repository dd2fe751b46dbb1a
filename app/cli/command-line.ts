import { parseArgs } from 'node:util';

/**
 * The command line of an npm script: `--help`/`-h` prints the usage and exits 0, an unknown option, a
 * missing value or a stray argument prints one line and exits 2 — before the script loads the
 * application, so neither starts any work. Imports nothing but node:util, so an entry point that
 * parses first and imports the rest afterwards answers `--help` at once.
 */

/** One option: its type, the value's placeholder, its default and what it does. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the usage, e.g. `<n>` (string options). */
  value?: string;
  /** Shown in the usage and returned when the option is not given. */
  default?: string | boolean;
  description: string;
}

/** What the usage says and what the parser accepts. */
export interface CommandSpec {
  /** How it is run, e.g. `npm run bench:api`. */
  command: string;
  /** The positional part of the synopsis, e.g. `<folder>`; omitted when it takes none. */
  positionals?: { synopsis: string; min: number; max: number; description?: string };
  /** What the command does, one paragraph (wrapped by the caller). */
  summary: string;
  options: Record<string, OptionSpec>;
  examples: readonly string[];
  /** Lines after the examples (environment variables, notes). */
  notes?: readonly string[];
}

type ValueOf<Option extends OptionSpec> = Option['type'] extends 'boolean' ? boolean : string;

/** Parsed options: those with a default are always present. */
export type ParsedOptions<Options extends Record<string, OptionSpec>> = {
  [Name in keyof Options]: Options[Name] extends { default: string | boolean }
    ? ValueOf<Options[Name]>
    : ValueOf<Options[Name]> | undefined;
};

const lineWidth = 100;

/** `text` in lines of at most `width` characters (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** The `--help` text: synopsis, summary, options with their defaults, examples. */
export function usageOf(spec: CommandSpec): string {
  const hasOptions = Object.keys(spec.options).length > 0;
  const synopsis = [
    spec.command,
    ...(hasOptions || spec.positionals ? ['--'] : []),
    ...(spec.positionals ? [spec.positionals.synopsis] : []),
    ...(hasOptions ? ['[options]'] : []),
  ].join(' ');
  const rows: Array<[string, string]> = [];
  if (spec.positionals?.description) rows.push([spec.positionals.synopsis, spec.positionals.description]);
  for (const [name, option] of Object.entries(spec.options)) {
    const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.type === 'string' ? ` ${option.value ?? '<value>'}` : ''}`;
    const fallback =
      option.default === undefined || option.default === false ? '' : ` (default ${option.default})`;
    rows.push([flag, `${option.description}${fallback}`]);
  }
  rows.push(['-h, --help', 'show this help and exit']);
  const width = Math.min(30, Math.max(...rows.map(([flag]) => flag.length)) + 2);
  const indent = ' '.repeat(2 + width);
  const rowLines = rows.map(([flag, text]) => {
    const lines = wrap(text, lineWidth - indent.length);
    const first =
      flag.length + 2 > width ? `  ${flag}\n${indent}${lines[0]}` : `  ${flag.padEnd(width)}${lines[0]}`;
    return [first, ...lines.slice(1).map((line) => `${indent}${line}`)].join('\n');
  });
  return [
    `Usage: ${synopsis}`,
    '',
    spec.summary,
    '',
    spec.positionals?.description ? 'Arguments and options:' : 'Options:',
    ...rowLines,
    '',
    spec.examples.length > 1 ? 'Examples:' : 'Example:',
    ...spec.examples.map((example) => `  ${example}`),
    ...(spec.notes?.length ? ['', ...spec.notes] : []),
  ].join('\n');
}

/** A usage error: one line, and the way to the help. */
export class CommandLineError extends Error {
  override name = 'CommandLineError';
}

/** The first sentence of node:util's parse error (`Unknown option '--x'`), without its long advice. */
function firstSentence(message: string): string {
  return message.split(/\.\s|\n/)[0]!.replace(/\.$/, '');
}

/**
 * Parses `argv` against `spec` (strict: unknown options are errors). Returns null when `--help` was
 * asked for; throws CommandLineError (one line) on a usage error.
 */
export function parseCommandLineOf<const Options extends Record<string, OptionSpec>>(
  spec: CommandSpec & { options: Options },
  argv: readonly string[],
): { values: ParsedOptions<Options>; positionals: string[] } | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> =
    { help: { type: 'boolean', short: 'h' } };
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.default !== undefined ? { default: option.default } : {}),
    };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new CommandLineError(firstSentence((error as Error).message));
  }
  if (parsed.values.help) return null;
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length > max)
    throw new CommandLineError(
      max === 0
        ? `Unexpected argument '${parsed.positionals[0]}': this command takes options only`
        : `Unexpected argument '${parsed.positionals[max]}'`,
    );
  if (parsed.positionals.length < min) throw new CommandLineError(`Missing ${spec.positionals!.synopsis}`);
  const { help: _help, ...values } = parsed.values;
  return { values: values as ParsedOptions<Options>, positionals: parsed.positionals };
}

/** The one line a usage error prints. */
export function usageErrorLine(spec: CommandSpec, message: string): string {
  return `${message} (see \`${spec.command} -- --help\`)`;
}

/**
 * Parses the process's command line: on `--help` prints the usage and exits 0; on a usage error
 * prints one line to stderr and exits 2. Call it before importing the application.
 */
export function parseCommandLine<const Options extends Record<string, OptionSpec>>(
  spec: CommandSpec & { options: Options },
  argv: readonly string[] = process.argv.slice(2),
): { values: ParsedOptions<Options>; positionals: string[] } {
  try {
    const parsed = parseCommandLineOf(spec, argv);
    if (parsed) return parsed;
    process.stdout.write(`${usageOf(spec)}\n`);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    exitWithUsageError(spec, error.message);
  }
}

/** Prints one usage-error line and exits 2 (for checks of a value after parsing). */
export function exitWithUsageError(spec: CommandSpec, message: string): never {
  process.stderr.write(`${usageErrorLine(spec, message)}\n`);
  process.exit(2);
}

/** A numeric option's value, or a usage error naming it (`--runs must be a whole number ≥ 1`). */
export function numberOption(
  spec: CommandSpec,
  name: string,
  raw: string,
  { min = Number.NEGATIVE_INFINITY, integer = false }: { min?: number; integer?: boolean } = {},
): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value)))
    exitWithUsageError(
      spec,
      `--${name} must be ${integer ? 'a whole number' : 'a number'}${Number.isFinite(min) ? ` ≥ ${min}` : ''} (got ${JSON.stringify(raw)})`,
    );
  return value;
}
