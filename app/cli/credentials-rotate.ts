import {
  addMasterKey,
  type MasterKeys,
  parseMasterKeys,
  pruneMasterKeys,
} from '../../connectors/core/master-key.ts';
import { createVault } from '../../connectors/core/vault.ts';
import { openConfiguredDatabase } from '../database-from-config.ts';

/** Settings of the rotation script (the config module parses them from the environment). */
export interface CredentialsRotateConfig {
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
  /**
   * Master keys given by the operator (`newId:base64,oldId:base64`, current first). When set, the
   * operator rotates by putting a new key first; when unset, the embedded `<DATA_DIR>/master.key` is used.
   */
  MASTER_KEY?: string | undefined;
}

/**
 * Re-encrypts every stored connector credential with the current master key. With the embedded key
 * file it first adds a new current key, and drops the old ones only once every credential moved.
 * Returns the process exit code.
 */
export async function main(
  config: CredentialsRotateConfig,
  output: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const embedded = !config.MASTER_KEY;
  const masterKeys: MasterKeys = embedded
    ? await addMasterKey(config.DATA_DIR)
    : parseMasterKeys(config.MASTER_KEY!, 'MASTER_KEY');
  const database = await openConfiguredDatabase(config);
  try {
    const vault = createVault({ db: database.pool, masterKeys });
    const { rotated, failed } = await vault.rotate();
    output(`Re-encrypted ${rotated} credential(s) with master key ${masterKeys.currentKeyId}.`);
    for (const failure of failed) output(`FAILED ${failure.connectorId}/${failure.field}: ${failure.reason}`);
    if (failed.length > 0) {
      output(
        'Old master keys were kept so the failed credentials can still be opened; fix them and run again.',
      );
      return 1;
    }
    if (embedded) {
      await pruneMasterKeys(config.DATA_DIR);
      output('Old master keys removed from the key file.');
    } else if (Object.keys(masterKeys.keys).length > 1) {
      output('Every credential now uses the first key: the other keys may be removed from MASTER_KEY.');
    }
    return 0;
  } finally {
    await database.close();
  }
}
