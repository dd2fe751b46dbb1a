import { exitWithUsageError, parseCommandLine } from './command-line.ts';

/** `npm run privacy -- export|erase --email x`: a contact's data export, or its erasure (docs/privacy.md). */
const spec = {
  command: 'npm run privacy',
  positionals: {
    synopsis: 'export|erase',
    min: 1,
    max: 1,
    description:
      'export: print everything held about the contact as one JSON document; erase: delete it and anonymise what accounting and audit keep',
  },
  summary:
    'Privacy operations on one contact, found by --email or --contact. The export goes to stdout (or\n' +
    '--out). Erasure is confirmed by the address: --email gives it, with --contact add --confirm\n' +
    "<the contact's email>. Erasing twice is fine; every erasure leaves an audit row (no personal data).",
  options: {
    email: { type: 'string', value: '<address>', description: "the contact's email address" },
    contact: { type: 'string', value: '<id>', description: 'the contact id (instead of --email)' },
    confirm: {
      type: 'string',
      value: '<address>',
      description: "erase with --contact: the contact's email address, as confirmation",
    },
    out: { type: 'string', value: '<file>', description: 'export: write the document to this file' },
  },
  examples: [
    'npm run privacy -- export --email maya.chen@brightpath.io > maya.json',
    'npm run privacy -- erase --email maya.chen@brightpath.io',
    'npm run privacy -- erase --contact ct_0001 --confirm maya.chen@brightpath.io',
  ],
  notes: ['Environment: DATABASE_URL, DATA_DIR (default ./.data; its outbox/ .eml copies are erased too).'],
} as const;

const { values, positionals } = parseCommandLine(spec);
const operation = positionals[0];
if (operation !== 'export' && operation !== 'erase')
  exitWithUsageError(spec, `Unknown operation ${JSON.stringify(operation)}: use export or erase`);
if ((values.email === undefined) === (values.contact === undefined))
  exitWithUsageError(spec, 'Give exactly one of --email and --contact');
if (operation === 'erase' && values.contact !== undefined && values.confirm === undefined)
  exitWithUsageError(spec, "erase --contact needs --confirm <the contact's email address>");
if (operation === 'export' && values.confirm !== undefined)
  exitWithUsageError(spec, '--confirm is for erase only');
if (operation === 'erase' && values.out !== undefined) exitWithUsageError(spec, '--out is for export only');

// The application loads only once the command line is valid, so --help answers at once.
const [{ runEntryPoint }, { loadScriptsConfig }, { runPrivacyCommand }] = await Promise.all([
  import('../../config/load.ts'),
  import('../../config/scripts.ts'),
  import('./privacy.ts'),
]);

await runEntryPoint(async () => {
  process.exitCode = await runPrivacyCommand(
    {
      operation,
      reference: values.email !== undefined ? { email: values.email } : { contactId: values.contact! },
      ...(values.confirm !== undefined ? { confirmation: values.confirm } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
    },
    loadScriptsConfig(),
    { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  );
});
