import { createInterface } from 'node:readline';
import { runEntryPoint } from '../../config/load.ts';
import { loadHumansAddConfig } from '../../config/scripts.ts';
import { main } from './humans-add.ts';

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

/** `npm run humans:add -- --email a@b.c --name "A B" --role admin`: adds a console user. */
await runEntryPoint(async () => {
  process.exitCode = await main(process.argv.slice(2), loadHumansAddConfig(), {
    readPassword,
    output: (line) => process.stdout.write(`${line}\n`),
  });
});
