import type { Queryable } from '../core/queryable.ts';
import {
  type CustomConnectorBuilder,
  CustomConnectorError,
  type CustomConnectorKind,
  customConnectorIdSchema,
  describeIssues,
} from './builder.ts';

/** A stored custom connector (table `custom_connectors`); `spec` is the kind's declaration as stored. */
export interface StoredCustomConnector {
  id: string;
  kind: CustomConnectorKind;
  title: string;
  version: number;
  spec: unknown;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string | null;
}

/** One saved version of a custom connector (table `custom_connector_versions`). */
export interface CustomConnectorVersion {
  version: number;
  kind: CustomConnectorKind;
  title: string;
  spec: unknown;
  createdAt: Date;
  createdBy: string | null;
}

interface ConnectorRow {
  id: string;
  kind: CustomConnectorKind;
  title: string;
  version: number;
  spec: unknown;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
  updated_by: string | null;
}

const columns = 'id, kind, title, version, spec, enabled, created_at, updated_at, updated_by';

const stored = (row: ConnectorRow): StoredCustomConnector => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  version: row.version,
  spec: row.spec,
  enabled: row.enabled,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  updatedBy: row.updated_by,
});

/** What an admin saves: the connector's id, kind, title and the kind's declaration. */
export interface CustomConnectorDraft {
  id: string;
  kind: CustomConnectorKind;
  title: string;
  spec: unknown;
}

/**
 * Validates a draft with its kind's builder and stores it as the connector's next version (the
 * first is 1). One statement, so the version row and the current row are written together; a kind
 * cannot change under an existing id (`conflict`), and two admins saving at once get one version
 * each or a retryable `conflict`, never a lost one. Nothing is stored when the draft is invalid.
 */
export async function saveCustomConnector(
  db: Queryable,
  builders: ReadonlyArray<CustomConnectorBuilder>,
  draft: CustomConnectorDraft,
  updatedBy: string | null,
): Promise<StoredCustomConnector> {
  const id = customConnectorIdSchema.safeParse(draft.id);
  if (!id.success) throw new CustomConnectorError(`id: ${describeIssues(id.error)}`);
  const builder = builders.find((candidate) => candidate.kind === draft.kind);
  if (!builder)
    throw new CustomConnectorError(`kind: no builder for custom connectors of kind "${draft.kind}"`);
  const title = draft.title.trim();
  if (!title || title.length > 120) throw new CustomConnectorError('title: give 1–120 characters');
  const spec = builder.spec.safeParse(draft.spec);
  if (!spec.success) throw new CustomConnectorError(`spec: ${describeIssues(spec.error)}`);

  let rows: ConnectorRow[];
  try {
    ({ rows } = await db.query<ConnectorRow>(
      `WITH existing AS (
         SELECT kind FROM custom_connectors WHERE id = $1
       ), next AS (
         SELECT coalesce(max(version), 0) + 1 AS version FROM custom_connector_versions WHERE connector_id = $1
       ), saved AS (
         INSERT INTO custom_connector_versions (connector_id, version, kind, title, spec, created_by)
         SELECT $1, next.version, $2, $3, $4, $5 FROM next
         WHERE NOT EXISTS (SELECT 1 FROM existing WHERE existing.kind <> $2)
         RETURNING version
       )
       INSERT INTO custom_connectors (id, kind, title, version, spec, updated_by)
       SELECT $1, $2, $3, saved.version, $4, $5 FROM saved
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, version = EXCLUDED.version,
         spec = EXCLUDED.spec, updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING ${columns}`,
      [id.data, draft.kind, title, JSON.stringify(spec.data), updatedBy],
    ));
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      throw new CustomConnectorError(`${id.data} was changed at the same moment; save again`, 'conflict');
    throw error;
  }
  const row = rows[0];
  if (!row)
    throw new CustomConnectorError(
      `${id.data} exists as another kind of connector; delete it first or choose another id`,
      'conflict',
    );
  return stored(row);
}

/** Every custom connector (enabled or not), by id. */
export async function listCustomConnectors(db: Queryable): Promise<StoredCustomConnector[]> {
  const { rows } = await db.query<ConnectorRow>(`SELECT ${columns} FROM custom_connectors ORDER BY id`);
  return rows.map(stored);
}

export async function getCustomConnector(db: Queryable, id: string): Promise<StoredCustomConnector | null> {
  const { rows } = await db.query<ConnectorRow>(`SELECT ${columns} FROM custom_connectors WHERE id = $1`, [
    id,
  ]);
  return rows[0] ? stored(rows[0]) : null;
}

/** Every saved version of a connector, newest first. */
export async function customConnectorVersions(db: Queryable, id: string): Promise<CustomConnectorVersion[]> {
  const { rows } = await db.query<{
    version: number;
    kind: CustomConnectorKind;
    title: string;
    spec: unknown;
    created_at: Date;
    created_by: string | null;
  }>(
    `SELECT version, kind, title, spec, created_at, created_by FROM custom_connector_versions
     WHERE connector_id = $1 ORDER BY version DESC`,
    [id],
  );
  return rows.map((row) => ({
    version: row.version,
    kind: row.kind,
    title: row.title,
    spec: row.spec,
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
  }));
}

/** Turns a connector on or off without losing its declaration; false when there is no such connector. */
export async function setCustomConnectorEnabled(
  db: Queryable,
  id: string,
  enabled: boolean,
  updatedBy: string | null,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE custom_connectors SET enabled = $2, updated_by = $3, updated_at = now() WHERE id = $1',
    [id, enabled, updatedBy],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Removes a connector (its saved versions stay, for the record, and a connector made again under the
 * same id continues their numbering); false when there was none. Its credentials are the caller's
 * to delete from the vault.
 */
export async function deleteCustomConnector(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM custom_connectors WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}
