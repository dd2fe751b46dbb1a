import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { AgentEvent, CustomerSession } from '../../agent/events.ts';
import { loadChatConfig } from '../../config/chat.ts';
import { runEntryPoint } from '../../config/load.ts';
import { createCustomerDirectory } from '../../conversations/store.ts';
import { seedDemoWorld } from '../../db/world/seed-demo.ts';
import { indexDemoArticles } from '../../knowledge/demo-articles.ts';
import { sharedLocalEmbedder } from '../../knowledge/local-embedder.ts';
import { openConfiguredDatabase } from '../database-from-config.ts';
import { createSwitchboard } from '../wiring.ts';

/**
 * `npm run chat -- --as maya.chen@brightpath.io [--unverified]`: chat with the agent in the terminal on
 * the embedded default, as a demo customer whose identity the (imaginary) company backend vouched for.
 */
await runEntryPoint(async () => {
  const { values } = parseArgs({
    options: { as: { type: 'string' }, unverified: { type: 'boolean', default: false } },
  });
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
