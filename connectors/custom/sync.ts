import type { ConnectorDefinition } from '../core/definition.ts';
import type { Logger } from '../core/logger.ts';
import type { Queryable } from '../core/queryable.ts';
import type { BuiltCustomConnector, CustomConnectorBuilder, CustomConnectorDeps } from './builder.ts';
import { listCustomConnectors, type StoredCustomConnector } from './store.ts';

/** What the gateway must offer for connectors that come and go at run time. */
export interface RuntimeConnectorRegistry {
  registerConnector(connector: ConnectorDefinition): void;
  unregisterConnector(connectorId: string): boolean;
}

/** A custom connector as this process runs it: its version, and why it is not usable if it is not. */
export interface CustomConnectorState {
  id: string;
  version: number;
  /** Set when the stored declaration could not be built (the connector answers `permanent` until fixed). */
  error: string | null;
}

/** Keeps this process's gateway in step with the stored custom connectors. */
export interface CustomConnectorSync {
  /**
   * Reads the stored connectors and registers, rebuilds or removes each as needed (only what changed
   * is rebuilt). Reloads run one at a time; a call made while one runs waits for it and runs again.
   */
  reload(): Promise<CustomConnectorState[]>;
  /** This process's view, as of the last reload. */
  states(): CustomConnectorState[];
  /**
   * The kind's checks beyond the schema (`CustomConnectorBuilder.preflight`) on a declaration about
   * to be saved; nothing when the declaration does not parse (saving reports that).
   */
  preflight(kind: string, spec: unknown): Promise<void>;
  /** Lets go of every built connector (shutdown). */
  close(): Promise<void>;
}

interface Active {
  version: number;
  updatedAt: number;
  built: BuiltCustomConnector | null;
  error: string | null;
}

/**
 * The stored custom connectors (`custom_connectors`), built with their kind's builder and registered
 * in the gateway. A declaration that cannot be built — an MCP server that cannot be reached, a
 * credential missing — is registered as a stand-in with no operations whose health check says why:
 * the admin sees it, and nothing acts on half a connector.
 */
export function createCustomConnectorSync(options: {
  db: Queryable;
  gateway: RuntimeConnectorRegistry;
  builders: ReadonlyArray<CustomConnectorBuilder>;
  deps: CustomConnectorDeps;
  logger?: Logger;
}): CustomConnectorSync {
  const active = new Map<string, Active>();
  let running: Promise<CustomConnectorState[]> = Promise.resolve([]);

  const states = (): CustomConnectorState[] =>
    [...active.entries()].map(([id, entry]) => ({ id, version: entry.version, error: entry.error }));

  async function release(id: string, entry: Active): Promise<void> {
    try {
      await entry.built?.close?.();
    } catch (error) {
      options.logger?.warn({ err: error, connector: id }, 'a custom connector did not close cleanly');
    }
  }

  async function build(row: StoredCustomConnector): Promise<Active> {
    const entry = { version: row.version, updatedAt: row.updatedAt.getTime() };
    const builder = options.builders.find((candidate) => candidate.kind === row.kind);
    const spec = builder?.spec.safeParse(row.spec);
    if (!builder || !spec?.success) {
      const error = builder
        ? 'its stored declaration is no longer valid'
        : `no builder for kind "${row.kind}"`;
      return { ...entry, built: null, error };
    }
    try {
      const built = await builder.build({ ...row, spec: spec.data }, options.deps);
      if (built.definition.id !== row.id) {
        await built.close?.();
        return { ...entry, built: null, error: `the builder named it "${built.definition.id}"` };
      }
      return { ...entry, built, error: null };
    } catch (error) {
      return { ...entry, built: null, error: error instanceof Error ? error.message : String(error) };
    }
  }

  async function syncOnce(): Promise<CustomConnectorState[]> {
    const rows = (await listCustomConnectors(options.db)).filter((row) => row.enabled);
    const wanted = new Set(rows.map((row) => row.id));
    for (const [id, entry] of active) {
      if (wanted.has(id)) continue;
      options.gateway.unregisterConnector(id);
      active.delete(id);
      await release(id, entry);
    }
    for (const row of rows) {
      const current = active.get(row.id);
      // Enabling again or saving again changes updated_at: rebuild (a stand-in gets another try).
      if (current && current.version === row.version && current.updatedAt === row.updatedAt.getTime())
        continue;
      const next = await build(row);
      options.gateway.registerConnector(next.built?.definition ?? standIn(row, next.error ?? 'not built'));
      active.set(row.id, next);
      if (current) await release(row.id, current);
      if (next.error)
        options.logger?.warn(
          { connector: row.id, reason: next.error },
          'a custom connector could not be built',
        );
    }
    return states();
  }

  return {
    reload() {
      running = running.catch(() => []).then(syncOnce);
      return running;
    },
    states,
    async preflight(kind, spec) {
      const builder = options.builders.find((candidate) => candidate.kind === kind);
      const parsed = builder?.spec.safeParse(spec);
      if (builder?.preflight && parsed?.success) await builder.preflight(parsed.data, options.deps);
    },
    async close() {
      await running.catch(() => []);
      for (const [id, entry] of active) await release(id, entry);
      active.clear();
    },
  };
}

/** A connector with no operations whose check says why the declaration could not be built. */
function standIn(row: StoredCustomConnector, reason: string): ConnectorDefinition {
  return {
    id: row.id,
    title: `${row.title} (unavailable)`,
    grantedScopes: [],
    check: async () => ({ ok: false, detail: `cannot be used: ${reason}` }),
    operations: {},
  };
}
