/**
 * How long the Google Drive source takes for a folder of N files (default 200: Docs, Markdown and a
 * few PDFs) against the local Drive fake, on PGlite, with a hashing embedder (so the number is the
 * sync's own cost: HTTP, parsing, chunking, writing — not a model's). Runs a first (full) sync, an
 * incremental one with nothing changed, and one with 10 files edited.
 *
 *   npx tsx bench/google-drive/run.ts [files]
 */
import { staticGoogleConnection } from '../../connectors/google/connection.ts';
import type { Embedder } from '../../knowledge/embedder.ts';
import { createIngester } from '../../knowledge/ingest.ts';
import {
  createDriveClient,
  driveSettingsSchema,
  syncGoogleDrive,
} from '../../knowledge/sources/google-drive/index.ts';
import { minimalPdf } from '../../test/fakes/google-drive/pdf.ts';
import { googleDocMimeType, startFakeGoogleDrive } from '../../test/fakes/google-drive/server.ts';
import { createGoogleTokenBook } from '../../test/fakes/google-oauth/token-book.ts';
import { hashedEmbedding } from '../../test/fakes/openai/server.ts';
import { createTestDatabase } from '../../test/support/database.ts';

const count = Number(process.argv[2] ?? 200);
const embedder: Embedder = {
  model: 'test/hash-64',
  dimensions: 64,
  embed: async (texts) => texts.map((text) => hashedEmbedding(text, 64)),
};
const paragraph = (index: number) =>
  `Article ${index} explains how customers change their plan, download invoices and reset passwords. `.repeat(
    12,
  );

const book = createGoogleTokenBook();
const token = book.issue({
  scopes: ['https://www.googleapis.com/auth/drive.readonly'],
  subject: 'bench@acme.com',
});
const fake = await startFakeGoogleDrive({ tokens: book });
// PGlite in memory, or TEST_DATABASE_URL's server.
const database = await createTestDatabase();
fake.addFolder('Help', 'root-folder', 'bench-folder');
const ids: string[] = [];
for (let index = 0; index < count; index++) {
  const permissions = [{ type: 'anyone' as const, role: 'reader' as const }];
  const kind = index % 10;
  const file =
    kind === 9
      ? fake.addFile({
          name: `Guide ${index}.pdf`,
          mimeType: 'application/pdf',
          parents: ['bench-folder'],
          content: minimalPdf([[paragraph(index).slice(0, 300)], ['Page two of the guide.']]),
          permissions,
        })
      : kind >= 5
        ? fake.addFile({
            name: `note-${index}.md`,
            mimeType: 'text/markdown',
            parents: ['bench-folder'],
            content: `# Note ${index}\n\n${paragraph(index)}`,
            permissions,
          })
        : fake.addFile({
            name: `Doc ${index}`,
            mimeType: googleDocMimeType,
            parents: ['bench-folder'],
            content: `<h1>Doc ${index}</h1><p>${paragraph(index)}</p><ul><li>one</li><li>two</li></ul>`,
            permissions,
          });
  ids.push(file.id);
}
const run = async (label: string) => {
  const started = performance.now();
  const report = await syncGoogleDrive({
    pool: database.pool,
    ingester: createIngester({ embedder }),
    client: createDriveClient({
      connection: staticGoogleConnection({ rootUrl: fake.url, accessToken: token.token }),
    }),
    settings: driveSettingsSchema.parse({ folderId: 'bench-folder' }),
  });
  const ms = performance.now() - started;
  console.log(
    `${label.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  mode=${report.mode} created=${report.created.length} updated=${report.updated.length} unchanged=${report.unchanged} skipped=${report.skipped.length} errors=${report.errors.length} chunksEmbedded=${report.chunksEmbedded}`,
  );
};
console.log(`Google Drive sync of ${count} files (fake Drive, PGlite, hashing embedder)`);
await run('first sync (full)');
await run('incremental, nothing changed');
for (const fileId of ids.filter((_, index) => index % 10 !== 9).slice(0, 10))
  fake.editFile(fileId, { content: `<p>${paragraph(9999)} edited</p>` });
await run('incremental, 10 Docs/Markdown edited');
await Promise.all([database.close(), fake.close()]);
