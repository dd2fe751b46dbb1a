import path from 'node:path';
import { type CommandSpec, exitWithUsageError, parseCommandLine } from './command-line.ts';

/** `npm run kb:ingest -- <folder> [--prune]` and `npm run kb:reindex` (`tsx app/cli/kb.ts ingest|reindex`). */
const environment =
  'Environment: DATABASE_URL, DATA_DIR (default ./.data), EMBEDDINGS_PROVIDER and its settings (see .env.example).';
const ingestCommand = {
  command: 'npm run kb:ingest',
  positionals: {
    synopsis: '<folder>',
    min: 1,
    max: 1,
    description: 'a folder of Markdown, HTML or text articles (front matter: title, visibility, …)',
  },
  summary:
    'Ingests a folder of help-center articles into the knowledge base: chunks them, embeds the chunks\n' +
    'that changed and writes them to the configured database (migrated first). Re-running it is cheap.',
  options: {
    prune: {
      type: 'boolean',
      default: false,
      description: 'also delete the articles of the knowledge base that are no longer in the folder',
    },
  },
  examples: ['npm run kb:ingest -- knowledge/articles', 'npm run kb:ingest -- ./help-center --prune'],
  notes: [environment],
} as const satisfies CommandSpec;
const reindexCommand = {
  command: 'npm run kb:reindex',
  summary:
    'Rebuilds every embedding and the HNSW index with the configured embedding model (after changing\n' +
    'EMBEDDINGS_PROVIDER or its model). Re-embeds every chunk: minutes for a large knowledge base.',
  options: {},
  examples: ['npm run kb:reindex'],
  notes: [environment],
} as const satisfies CommandSpec;

const [subcommand, ...rest] = process.argv.slice(2);
if (subcommand !== 'ingest' && subcommand !== 'reindex')
  exitWithUsageError(
    ingestCommand,
    `Unknown subcommand ${JSON.stringify(subcommand ?? '')}: use \`tsx app/cli/kb.ts ingest <folder> [--prune]\` or \`tsx app/cli/kb.ts reindex\``,
  );
const ingestArguments = subcommand === 'ingest' ? parseCommandLine(ingestCommand, rest) : null;
if (subcommand === 'reindex') parseCommandLine(reindexCommand, rest);

// The application loads only once the command line is valid, so --help answers at once.
const [{ embedderSettings, loadKnowledgeConfig }, { runEntryPoint }] = await Promise.all([
  import('../../config/knowledge.ts'),
  import('../../config/load.ts'),
]);

await runEntryPoint(async () => {
  const config = loadKnowledgeConfig();
  const database = config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.DATA_DIR };
  const embedder = embedderSettings(config);
  if (ingestArguments) {
    const { main: ingest } = await import('./kb-ingest.ts');
    await ingest({
      database,
      embedder,
      folder: path.resolve(ingestArguments.positionals[0]!),
      prune: ingestArguments.values.prune,
    });
  } else {
    const { main: reindex } = await import('./kb-reindex.ts');
    await reindex({ database, embedder });
  }
});
