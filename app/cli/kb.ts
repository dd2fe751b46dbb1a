import path from 'node:path';
import { embedderSettings, loadKnowledgeConfig } from '../../config/knowledge.ts';
import { runEntryPoint } from '../../config/load.ts';
import { main as ingest } from './kb-ingest.ts';
import { main as reindex } from './kb-reindex.ts';

/** `npm run kb:ingest -- <folder> [--prune]` and `npm run kb:reindex`. */
await runEntryPoint(async () => {
  const [command, ...rest] = process.argv.slice(2);
  const config = loadKnowledgeConfig();
  const database = config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.DATA_DIR };
  const embedder = embedderSettings(config);
  if (command === 'ingest') {
    const folder = rest.find((argument) => !argument.startsWith('--'));
    if (!folder) throw new Error('Usage: npm run kb:ingest -- <folder> [--prune]');
    await ingest({ database, embedder, folder: path.resolve(folder), prune: rest.includes('--prune') });
  } else if (command === 'reindex') {
    await reindex({ database, embedder });
  } else {
    throw new Error('Usage: tsx app/cli/kb.ts ingest <folder> [--prune] | reindex');
  }
});
