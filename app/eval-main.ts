import { CliUsageError, parseCliArguments, usage } from '../evals/cli-arguments.ts';

/** `npm run eval -- --suite evals/suites/core`: runs a scenario suite and reports (see docs/evals.md). */
// The command line first, before the application loads: --help and a usage error answer at once.
try {
  if (parseCliArguments(process.argv.slice(2)) === null) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
} catch (error) {
  if (!(error instanceof CliUsageError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
const [{ loadEvalConfig }, { runEntryPoint }, { runEvalCli }, { openConfiguredDatabase }] = await Promise.all(
  [
    import('../config/eval.ts'),
    import('../config/load.ts'),
    import('../evals/run-cli.ts'),
    import('./database-from-config.ts'),
  ],
);
const [{ createEvalEnvironment }, { createVendorEvalEnvironment }] = await Promise.all([
  import('./eval-environment.ts'),
  import('./vendor-eval-environment.ts'),
]);

await runEntryPoint(async () => {
  const config = loadEvalConfig();
  const code = await runEvalCli(process.argv.slice(2), {
    config,
    createEnvironment: (options) =>
      options.systems === 'vendor-fakes'
        ? createVendorEvalEnvironment(options)
        : createEvalEnvironment(options),
    stdout: process.stdout,
    stderr: process.stderr,
    openStore: async ({ allowEmbedded }) =>
      config.DATABASE_URL || allowEmbedded
        ? openConfiguredDatabase(config)
        : 'the run is not recorded in eval_runs: set DATABASE_URL, or pass --store-embedded when no API server has the embedded database open',
  });
  process.exitCode = code;
  // Whatever the wiring left running (timers, pools) must not keep a finished run alive.
  setTimeout(() => process.exit(code), 2_000).unref();
});
