import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import type { AgentEvent, CustomerSession } from '../../agent/events.ts';
import { parseCommandLine } from './command-line.ts';

/**
 * `npm run chat -- --as maya.chen@brightpath.io [--unverified]`: chat with the agent in the terminal on
 * the embedded default, as a demo customer whose identity the (imaginary) company backend vouched for.
 */
const { values } = parseCommandLine({
  command: 'npm run chat',
  summary:
    'Chats with the support agent in the terminal, on the configured database (the embedded demo world\n' +
    'by default, seeded and indexed on first use). Without --as you are an anonymous visitor. Reads\n' +
    'lines from stdin (piped input works); Ctrl-D quits. Stop `npm start` first, or give the chat its\n' +
    'own DATA_DIR: the embedded database belongs to one process at a time.',
  options: {
    as: {
      type: 'string',
      value: '<email>',
      description: 'chat as this contact, verified by the (imaginary) company backend',
    },
    unverified: {
      type: 'boolean',
      default: false,
      description: 'with --as: not verified (account actions ask for the emailed code)',
    },
  },
  examples: [
    'npm run chat -- --as maya.chen@brightpath.io        (try "I was charged twice")',
    "printf 'What are your API rate limits?\\n' | npm run chat",
  ],
  notes: ['Environment: DATABASE_URL, DATA_DIR (default ./.data), REASONER, OPENAI_* (see .env.example).'],
});
// The application loads only once the command line is valid, so --help answers at once.
const [{ loadChatConfig }, { runEntryPoint }, { createCustomerDirectory }, { seedDemoWorld }] =
  await Promise.all([
    import('../../config/chat.ts'),
    import('../../config/load.ts'),
    import('../../conversations/store.ts'),
    import('../../db/world/seed-demo.ts'),
  ]);
const [{ indexDemoArticles }, { sharedLocalEmbedder }, { openConfiguredDatabase }, { createSwitchboard }] =
  await Promise.all([
    import('../../knowledge/demo-articles.ts'),
    import('../../knowledge/local-embedder.ts'),
    import('../database-from-config.ts'),
    import('../wiring.ts'),
  ]);

await runEntryPoint(async () => {
  const config = loadChatConfig();
  const database = await openConfiguredDatabase(config);
  if (database.kind === 'pglite') await seedDemoWorld(database.pool);
  await indexDemoArticles(database.pool, sharedLocalEmbedder());
  const contact = values.as ? await createCustomerDirectory(database.pool).byEmail(values.as) : null;
  if (values.as && !contact)
    throw new Error(`No contact with the email ${values.as} (try maya.chen@brightpath.io)`);
  const switchboard = await createSwitchboard({
    database,
    dataDir: config.DATA_DIR,
    mode: database.kind === 'pglite' ? 'embedded' : 'production',
  });
  const session: CustomerSession = {
    contactId: contact?.contactId ?? null,
    verified: Boolean(contact) && !values.unverified,
    channel: 'chat',
    ...(contact && !values.unverified ? { verifiedBy: 'token' as const } : {}),
  };
  const conversationId = `chat_${randomUUID()}`;
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  process.stdout.write(
    `Chatting as ${values.as ?? 'an anonymous visitor'}${session.verified ? ' (verified)' : ''}. Ctrl-D to quit.\n`,
  );
  // Async iteration buffers lines, so piped input (`printf '…' | npm run chat`) works too.
  process.stdout.write('you> ');
  for await (const line of terminal) {
    if (line.trim()) {
      for await (const event of switchboard.conversations.converse(conversationId, line, session))
        print(event);
    }
    process.stdout.write('you> ');
  }
  process.stdout.write('\n');
  terminal.close();
  await switchboard.close();
  await database.close();
});

function print(event: AgentEvent): void {
  switch (event.type) {
    case 'message':
      process.stdout.write(
        `agent> ${event.text}\n${event.citations.map((citation) => `       [${citation.title}]\n`).join('')}`,
      );
      break;
    case 'tool-call-end':
      process.stdout.write(
        `       · ${event.connector}.${event.operation} ${event.status} ${event.latencyMs} ms\n`,
      );
      break;
    case 'escalation':
      process.stdout.write(`       ⇢ escalated (${event.reason}, ${event.priority})\n`);
      break;
    case 'turn-end':
      process.stdout.write(`       (${event.status})\n`);
      break;
    default:
  }
}
