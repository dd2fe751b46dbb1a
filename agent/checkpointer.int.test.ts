import { emptyCheckpoint } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import { SingleStatementPostgresSaver } from './checkpointer.ts';

/** A checkpoint with two channel values and a third channel versioned but empty (written as type 'empty'). */
function checkpointOf(id: string) {
  return {
    ...emptyCheckpoint(),
    id,
    channel_values: {
      transcript: [{ role: 'customer', text: 'I was charged twice', at: '2026-11-20T09:00:00Z' }],
      status: 'open',
    },
    channel_versions: { transcript: 3, status: 2, 'branch:to:finish': 1 },
  };
}
const versions = { transcript: 3, status: 2, 'branch:to:finish': 1 };

describe(`the single-statement checkpointer on ${testDatabaseKind()}`, () => {
  let database: Database;
  let saver: SingleStatementPostgresSaver;
  let stock: PostgresSaver;
  const blobsOf = async (thread: string) =>
    (
      await database.pool.query(
        `SELECT channel, version, type, encode(blob, 'hex') AS blob FROM checkpoint_blobs
          WHERE thread_id = $1 ORDER BY channel, version`,
        [thread],
      )
    ).rows;

  beforeAll(async () => {
    database = await createTestDatabase();
    saver = new SingleStatementPostgresSaver(database.pool);
    await saver.setup();
    stock = new PostgresSaver(database.pool);
  }, 120_000);
  afterAll(async () => {
    await database?.close();
  });

  it('writes the same rows as the stock saver, which reads them back', async () => {
    const config = (thread: string) => ({ configurable: { thread_id: thread, checkpoint_ns: '' } });
    const metadata = { source: 'loop' as const, step: 4, parents: {} };
    const returned = await saver.put(config('single'), checkpointOf('cp-1'), metadata, versions);
    await stock.put(config('stock'), checkpointOf('cp-1'), metadata, versions);

    expect(returned).toEqual({
      configurable: { thread_id: 'single', checkpoint_ns: '', checkpoint_id: 'cp-1' },
    });
    const written = await blobsOf('single');
    expect(written).toEqual(await blobsOf('stock'));
    expect(written.map((row) => [row.channel, row.type, row.blob === null])).toEqual([
      ['branch:to:finish', 'empty', true],
      ['status', 'json', false],
      ['transcript', 'json', false],
    ]);
    const tuple = await stock.getTuple(config('single'));
    expect(tuple?.checkpoint.id).toBe('cp-1');
    expect(tuple?.checkpoint.channel_values).toEqual(checkpointOf('cp-1').channel_values);
    expect(tuple?.metadata).toEqual(metadata);
  });

  it('keeps the parent link and updates a re-written checkpoint, blobs left as they were', async () => {
    const thread = { configurable: { thread_id: 'again', checkpoint_ns: '' } };
    await saver.put(thread, checkpointOf('cp-1'), { source: 'loop', step: 1, parents: {} }, versions);
    const child = { configurable: { thread_id: 'again', checkpoint_ns: '', checkpoint_id: 'cp-1' } };
    await saver.put(child, checkpointOf('cp-2'), { source: 'loop', step: 2, parents: {} }, { status: 4 });
    await saver.put(child, checkpointOf('cp-2'), { source: 'loop', step: 3, parents: {} }, { status: 4 });

    const { rows } = await database.pool.query(
      `SELECT checkpoint_id, parent_checkpoint_id, metadata->>'step' AS step FROM checkpoints
        WHERE thread_id = 'again' ORDER BY checkpoint_id`,
    );
    expect(rows).toEqual([
      { checkpoint_id: 'cp-1', parent_checkpoint_id: null, step: '1' },
      { checkpoint_id: 'cp-2', parent_checkpoint_id: 'cp-1', step: '3' },
    ]);
    expect((await blobsOf('again')).map((row) => `${row.channel}@${row.version}`)).toEqual([
      'branch:to:finish@1',
      'status@2',
      'status@4',
      'transcript@3',
    ]);
  });

  it('writes nothing when the checkpoint row fails: the blobs go with it', async () => {
    class BrokenMetadata extends SingleStatementPostgresSaver {
      // NULL violates `metadata NOT NULL` after the blobs' INSERT in the same statement.
      protected override async _dumpMetadata(): Promise<null> {
        return null;
      }
    }
    const broken = new BrokenMetadata(database.pool);
    const thread = { configurable: { thread_id: 'broken', checkpoint_ns: '' } };
    await expect(
      broken.put(thread, checkpointOf('cp-1'), { source: 'loop', step: 1, parents: {} }, versions),
    ).rejects.toThrow(/null value in column "metadata"/);
    // Read on the engine itself: on PGlite a constraint violation also ends the pool's one
    // connection (so does the stock saver's; a property of the node-postgres adapter, not of this
    // statement), and this test only asks what was written.
    const count = async (table: string) => {
      const sql = `SELECT count(*)::int AS n FROM ${table} WHERE thread_id = 'broken'`;
      const result = database.pglite
        ? await database.pglite.query<{ n: number }>(sql)
        : await database.pool.query<{ n: number }>(sql);
      return result.rows[0]!.n;
    };
    expect(await count('checkpoint_blobs')).toBe(0);
    expect(await count('checkpoints')).toBe(0);
  });
});
