import { exitWithUsageError, parseCommandLine } from '../../app/cli/command-line.ts';

/**
 * `npm run bench:connectors`: the pipeline's overhead per call (pipeline-overhead.ts), or with
 * `--systems vendor-fakes` the vendor calls per procedure and latency per operation against the
 * local vendor fakes (vendor-calls.ts).
 */
const command = {
  command: 'npm run bench:connectors',
  positionals: {
    synopsis: '[postgres-url]',
    min: 0,
    max: 1,
    description:
      'pipeline overhead: also measure on this PostgreSQL server (a scratch database is created and dropped)',
  },
  summary:
    'Without --systems: what the connector pipeline adds per call (a read by primary key and a write)\n' +
    'versus calling the operation directly, median over 2,000 calls, on embedded PGlite (and PostgreSQL\n' +
    'with a server URL); docs/connectors-core.md. With --systems vendor-fakes: plays a suite with billing\n' +
    'on Stripe, CRM on HubSpot, ticketing on Zendesk and calendar on Google against their local fakes,\n' +
    'and reports vendor requests per procedure and latency per operation.',
  options: {
    systems: {
      type: 'string',
      value: 'vendor-fakes',
      description: 'measure the vendor backends against their local fakes instead of the pipeline overhead',
    },
    suite: {
      type: 'string',
      value: '<folder>',
      description: 'with --systems: the scenario suite to play (default evals/suites/core)',
    },
    filter: {
      type: 'string',
      value: '<text>',
      description: 'with --systems: only scenarios whose id contains <text>',
    },
  },
  examples: [
    'npm run bench:connectors',
    'npm run bench:connectors -- postgres://postgres@127.0.0.1:5432/postgres',
    'npm run bench:connectors -- --systems vendor-fakes --filter refund',
  ],
} as const;
const { values, positionals } = parseCommandLine(command);
if (values.systems !== undefined && values.systems !== 'vendor-fakes')
  exitWithUsageError(command, `--systems must be vendor-fakes (got ${JSON.stringify(values.systems)})`);
if (positionals[0] !== undefined && !/^postgres(ql)?:\/\//.test(positionals[0]))
  exitWithUsageError(command, `Expected a postgres:// URL, got ${JSON.stringify(positionals[0])}`);
if (values.systems && positionals.length > 0)
  exitWithUsageError(command, 'A PostgreSQL URL measures the pipeline overhead: leave out --systems');
if (!values.systems && (values.suite !== undefined || values.filter !== undefined))
  exitWithUsageError(command, '--suite and --filter need --systems vendor-fakes');

// Each benchmark reads the command line again (vendor-calls.ts its options, pipeline-overhead.ts the URL).
if (values.systems) await import('./vendor-calls.ts');
else await import('./pipeline-overhead.ts');
