import { loadEvalConfig } from '../config/eval.ts';
import { runEntryPoint } from '../config/load.ts';
import { runEvalCli } from '../evals/run-cli.ts';
import { openConfiguredDatabase } from './database-from-config.ts';
import { createEvalEnvironment } from './eval-environment.ts';
import { createVendorEvalEnvironment } from './vendor-eval-environment.ts';

/** `npm run eval -- --suite evals/suites/core`: runs a scenario suite and reports (see docs/evals.md). */
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
