import { createInterface } from 'node:readline';
import { parseCommandLine } from './command-line.ts';

/** `npm run humans:add -- --email a@b.c --name "A B" --role admin`: adds a console user. */
parseCommandLine({
  command: 'npm run humans:add',
  summary:
    'Adds a human agent who can sign in to the console (/console; admins also to /admin). The password\n' +
    'is read from HUMAN_PASSWORD, else from stdin (a hidden prompt on a terminal) — never from the\n' +
    'command line, where `ps` would show it. At least 10 characters.',
  options: {
    email: { type: 'string', value: '<address>', description: 'the sign-in email (required)' },
    name: { type: 'string', value: '<name>', description: 'the name shown in the console (required)' },
    role: { type: 'string', value: 'agent|admin', default: 'agent', description: 'what the human may do' },
  },
  examples: [
    'npm run humans:add -- --email lee@example.com --name "Lee Park" --role admin',
    'echo "a long password" | npm run humans:add -- --email sam@example.com --name Sam',
  ],
  notes: ['Environment: DATABASE_URL, DATA_DIR (default ./.data), HUMAN_PASSWORD.'],
});
// The application loads only once the command line is valid, so --help answers at once.
const [{ runEntryPoint }, { loadHumansAddConfig }, { main }] = await Promise.all([
  import('../../config/load.ts'),
  import('../../config/scripts.ts'),
  import('./humans-add.ts'),
]);

/** Reads the password: a hidden prompt on a terminal, else the first line of stdin (`echo pw | npm run ...`). */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    return input.split('\n')[0] ?? '';
  }
  const terminal = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  process.stdout.write('Password: ');
  // Keystrokes are not echoed: only the prompt is written.
  (terminal as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = () => {};
  const password = await new Promise<string>((resolve) => terminal.question('', resolve));
  terminal.close();
  process.stdout.write('\n');
  return password;
}

await runEntryPoint(async () => {
  process.exitCode = await main(process.argv.slice(2), loadHumansAddConfig(), {
    readPassword,
    output: (line) => process.stdout.write(`${line}\n`),
  });
});
