import type { Queryable } from '../../../connectors/core/queryable.ts';

/** A stored declarative procedure (table `declarative_procedures`): its YAML as the admin wrote it. */
export interface StoredProcedure {
  id: string;
  title: string;
  version: number;
  source: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string | null;
}

/** One saved version (table `declarative_procedure_versions`). */
export interface ProcedureVersion {
  version: number;
  title: string;
  source: string;
  createdAt: Date;
  createdBy: string | null;
}

interface ProcedureRow {
  id: string;
  title: string;
  version: number;
  source: string;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
  updated_by: string | null;
}

const columns = 'id, title, version, source, enabled, created_at, updated_at, updated_by';

const stored = (row: ProcedureRow): StoredProcedure => ({
  id: row.id,
  title: row.title,
  version: row.version,
  source: row.source,
  enabled: row.enabled,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  updatedBy: row.updated_by,
});

/** Two admins saved the same procedure at the same moment: one of them saves again. */
export class ProcedureSaveConflict extends Error {
  override name = 'ProcedureSaveConflict';
}

/**
 * Stores a validated procedure as its next version (the first is 1), in one statement so the version
 * row and the current row are written together. The caller validated `source` (./validate.ts).
 */
export async function saveProcedure(
  db: Queryable,
  draft: { id: string; title: string; source: string },
  updatedBy: string | null,
): Promise<StoredProcedure> {
  try {
    const { rows } = await db.query<ProcedureRow>(
      `WITH next AS (
         SELECT coalesce(max(version), 0) + 1 AS version FROM declarative_procedure_versions WHERE procedure_id = $1
       ), saved AS (
         INSERT INTO declarative_procedure_versions (procedure_id, version, title, source, created_by)
         SELECT $1, next.version, $2, $3, $4 FROM next
         RETURNING version
       )
       INSERT INTO declarative_procedures (id, title, version, source, updated_by)
       SELECT $1, $2, saved.version, $3, $4 FROM saved
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, version = EXCLUDED.version,
         source = EXCLUDED.source, updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING ${columns}`,
      [draft.id, draft.title, draft.source, updatedBy],
    );
    return stored(rows[0]!);
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      throw new ProcedureSaveConflict(`${draft.id} was changed at the same moment; save again`);
    throw error;
  }
}

/** Every declarative procedure (enabled or not), by id. */
export async function listProcedures(db: Queryable): Promise<StoredProcedure[]> {
  const { rows } = await db.query<ProcedureRow>(`SELECT ${columns} FROM declarative_procedures ORDER BY id`);
  return rows.map(stored);
}

export async function getProcedure(db: Queryable, id: string): Promise<StoredProcedure | null> {
  const { rows } = await db.query<ProcedureRow>(
    `SELECT ${columns} FROM declarative_procedures WHERE id = $1`,
    [id],
  );
  return rows[0] ? stored(rows[0]) : null;
}

/** Every saved version of a procedure, newest first. */
export async function procedureVersions(db: Queryable, id: string): Promise<ProcedureVersion[]> {
  const { rows } = await db.query<{
    version: number;
    title: string;
    source: string;
    created_at: Date;
    created_by: string | null;
  }>(
    `SELECT version, title, source, created_at, created_by FROM declarative_procedure_versions
     WHERE procedure_id = $1 ORDER BY version DESC`,
    [id],
  );
  return rows.map((row) => ({
    version: row.version,
    title: row.title,
    source: row.source,
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
  }));
}

/** Turns a procedure on or off without losing it; false when there is no such procedure. */
export async function setProcedureEnabled(
  db: Queryable,
  id: string,
  enabled: boolean,
  updatedBy: string | null,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE declarative_procedures SET enabled = $2, updated_by = $3, updated_at = now() WHERE id = $1',
    [id, enabled, updatedBy],
  );
  return (rowCount ?? 0) > 0;
}

/** Removes a procedure (its versions stay on record; one made again under the id continues their numbering). */
export async function deleteProcedure(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM declarative_procedures WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}
