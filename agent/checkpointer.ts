import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type pg from 'pg';

/**
 * LangGraph's `PostgresSaver` with a checkpoint written in ONE statement. The stock `put` runs
 * BEGIN, one INSERT per changed channel (~21 per turn of this graph), the checkpoint's INSERT and
 * COMMIT: ~24 statements, which on embedded PGlite were a quarter of a turn's CPU
 * (docs/api-benchmark.md, "Where a turn's CPU went"). Here the blobs go in as arrays through
 * `unnest` in a data-modifying CTE in front of the checkpoint's INSERT. One statement is atomic on
 * its own, so the checkpoint and its blobs still land together or not at all. Same tables, rows and
 * conflict rules as the stock saver (reads, `list` and the migrations are its own), so checkpoints
 * written by either are read by both.
 */
export class SingleStatementPostgresSaver extends PostgresSaver {
  readonly #pool: pg.Pool;
  readonly #sql: string;

  constructor(pool: pg.Pool, options: { schema?: string } = {}) {
    super(pool, undefined, options);
    this.#pool = pool;
    const schema = `"${options.schema ?? 'public'}"`;
    this.#sql = `WITH blobs AS (
        INSERT INTO ${schema}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
        SELECT $1, $2, b.channel, b.version, b.type, b.blob
          FROM unnest($3::text[], $4::text[], $5::text[], $6::bytea[]) AS b(channel, version, type, blob)
        ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING
      )
      INSERT INTO ${schema}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
      VALUES ($1, $2, $7, $8, $9, $10)
      ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
      DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`;
  }

  override async put(...[config, checkpoint, metadata, newVersions]: Parameters<PostgresSaver['put']>) {
    if (config.configurable === undefined) throw new Error('Missing "configurable" field in "config" param');
    const { thread_id, checkpoint_ns = '', checkpoint_id } = config.configurable;
    const [blobs, serializedMetadata] = await Promise.all([
      this._dumpBlobs(thread_id, checkpoint_ns, checkpoint.channel_values, newVersions),
      this._dumpMetadata(metadata),
    ]);
    await this.#pool.query(this.#sql, [
      thread_id,
      checkpoint_ns,
      blobs.map((blob) => blob[2]),
      blobs.map((blob) => blob[3]),
      blobs.map((blob) => blob[4]),
      blobs.map((blob) => blob[5] ?? null),
      checkpoint.id,
      checkpoint_id ?? null,
      this._dumpCheckpoint(checkpoint),
      serializedMetadata,
    ]);
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }
}
