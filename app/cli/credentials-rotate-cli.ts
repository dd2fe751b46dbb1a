import { parseCommandLine } from './command-line.ts';

/** `npm run credentials:rotate`: re-encrypts every stored connector credential with the current master key. */
parseCommandLine({
  command: 'npm run credentials:rotate',
  summary:
    'Re-encrypts every stored connector credential with the current master key. With the embedded key\n' +
    'file (<DATA_DIR>/master.key) it adds a new key first and drops the old ones once every credential\n' +
    'moved; with MASTER_KEY set, put the new key first (newId:base64,oldId:base64) and run it.',
  options: {},
  examples: ['npm run credentials:rotate', 'MASTER_KEY="k2:<base64>,k1:<base64>" npm run credentials:rotate'],
  notes: [
    'Environment: DATABASE_URL, DATA_DIR (default ./.data), MASTER_KEY. Exit code 1 when a credential',
    'could not be re-encrypted (the old keys are then kept).',
  ],
});
// The application loads only once the command line is valid, so --help answers at once.
const [{ loadCredentialsConfig }, { runEntryPoint }, { main }] = await Promise.all([
  import('../../config/credentials.ts'),
  import('../../config/load.ts'),
  import('./credentials-rotate.ts'),
]);

await runEntryPoint(async () => {
  process.exitCode = await main(loadCredentialsConfig());
});
