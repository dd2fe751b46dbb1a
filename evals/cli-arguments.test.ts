import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArguments } from './cli-arguments.ts';

const fails = (argv: string[]): string => {
  try {
    parseCliArguments(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return (error as Error).message.split('\n')[0]!;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('parseCliArguments', () => {
  it('applies the defaults', () => {
    expect(parseCliArguments(['--suite', 'evals/suites/core'])).toEqual({
      suite: 'evals/suites/core',
      runs: 1,
      baseline: 'none',
      reasoner: 'local',
      customer: 'scripted',
      systems: 'builtin',
      concurrency: 1,
      out: undefined,
      filter: undefined,
      minCorrect: undefined,
      maxHarmful: undefined,
      store: true,
      storeEmbedded: false,
    });
  });

  it('takes the systems a suite runs against', () => {
    expect(parseCliArguments(['--suite', 's', '--systems', 'vendor-fakes'])?.systems).toBe('vendor-fakes');
    expect(() => parseCliArguments(['--suite', 's', '--systems', 'stripe'])).toThrow(
      /--systems must be builtin or vendor-fakes/,
    );
  });

  it('parses every option', () => {
    const parsed = parseCliArguments([
      '--suite=evals/suites/smoke',
      '--runs',
      '3',
      '--baseline',
      'kb-only',
      '--reasoner',
      'llm',
      '--customer',
      'llm',
      '--concurrency',
      '2',
      '--out',
      '/tmp/out',
      '--filter',
      'refund',
      '--min-correct',
      '0.9',
      '--max-harmful',
      '0',
      '--no-store',
    ]);
    expect(parsed).toMatchObject({
      runs: 3,
      baseline: 'kb-only',
      reasoner: 'llm',
      customer: 'llm',
      concurrency: 2,
      out: '/tmp/out',
      filter: 'refund',
      minCorrect: 0.9,
      maxHarmful: 0,
      store: false,
    });
  });

  it('returns null for --help', () => {
    expect(parseCliArguments(['--help'])).toBeNull();
    expect(parseCliArguments(['-h'])).toBeNull();
  });

  it.each([
    [[], '--suite is required (a folder of scenario YAML files)'],
    [['--suite', 's', '--runs', '0'], '--runs must be at least 1 (got "0")'],
    [['--suite', 's', '--runs', 'two'], '--runs '],
    [['--suite', 's', '--runs', '1.5'], '--runs must be a whole number (got "1.5")'],
    [['--suite', 's', '--baseline', 'none'], '--baseline must be kb-only (got "none")'],
    [['--suite', 's', '--reasoner', 'gpt'], '--reasoner must be local or llm (got "gpt")'],
    [['--suite', 's', '--min-correct', '90'], '--min-correct must be between 0 and 1 (got "90")'],
    [['--suite', 's', '--max-harmful=-1'], '--max-harmful must be 0 or more (got "-1")'],
    [['--suite', 's', '--concurrency', '0'], '--concurrency must be at least 1 (got "0")'],
    [['--suite', 's', '--verbose'], "Unknown option '--verbose'"],
    [['--suite'], "Option '--suite <value>' argument missing"],
    [['--suite', 's', 'extra'], 'Unexpected argument'],
  ])('rejects %j', (argv, message) => {
    expect(fails(argv)).toContain(message);
  });

  it('shows the usage with an error', () => {
    expect(() => parseCliArguments(['--runs', '2'])).toThrow(/Usage: npm run eval -- --suite <folder>/);
  });
});
