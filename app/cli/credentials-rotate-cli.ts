import { loadCredentialsConfig } from '../../config/credentials.ts';
import { runEntryPoint } from '../../config/load.ts';
import { main } from './credentials-rotate.ts';

/** `npm run credentials:rotate`: re-encrypts every stored connector credential with the current master key. */
await runEntryPoint(async () => {
  process.exitCode = await main(loadCredentialsConfig());
});
