import { writeFile } from 'node:fs/promises';
import {
  type ContactReference,
  eraseContact,
  exportContact,
  PrivacyError,
} from '../../conversations/privacy.ts';
import { openConfiguredDatabase } from '../database-from-config.ts';

/** One run of `npm run privacy` (app/cli/privacy-cli.ts parsed the command line). */
export interface PrivacyCommand {
  operation: 'export' | 'erase';
  reference: ContactReference;
  /** Erase: the contact's address; defaults to the --email the contact was named by. */
  confirmation?: string;
  /** Export: a file instead of stdout. */
  out?: string;
}

/**
 * Exports or erases one contact on the configured database. Returns the exit code: 0 done, 1 no such
 * contact or a confirmation that does not name it (the message on stderr; nothing changed).
 */
export async function runPrivacyCommand(
  command: PrivacyCommand,
  config: { DATABASE_URL?: string | undefined; DATA_DIR: string },
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  const database = await openConfiguredDatabase(config);
  try {
    if (command.operation === 'export') {
      const document = await exportContact(database.pool, command.reference);
      const text = `${JSON.stringify(document, null, 2)}\n`;
      if (command.out) {
        // Personal data: readable by the operator only.
        await writeFile(command.out, text, { mode: 0o600 });
        io.stderr(`Exported contact ${document.contact.id} to ${command.out}.\n`);
      } else io.stdout(text);
      return 0;
    }
    const confirmation =
      command.confirmation ?? ('email' in command.reference ? command.reference.email : undefined);
    if (confirmation === undefined)
      throw new Error("erase needs the contact's email address as confirmation");
    const result = await eraseContact(database.pool, command.reference, {
      confirmation,
      actor: { kind: 'system', name: 'cli' },
      // Without SMTP the outbox wrote .eml copies under DATA_DIR; they go too.
      dataDir: config.DATA_DIR,
    });
    const removed = Object.entries(result.counts)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ');
    io.stdout(
      `${result.alreadyErased ? 'Contact was already erased; erased again' : 'Erased contact'} ${result.contactId}: ${removed || 'nothing left to remove'}.\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof PrivacyError) {
      io.stderr(`${error.message}.\n`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
  }
}
