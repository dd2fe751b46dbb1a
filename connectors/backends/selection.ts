import type { BackendEnvironment } from '../../config/backends.ts';
import { billing } from '../billing/contract.ts';
import { calendar } from '../calendar/contract.ts';
import { type AnyOperationContract, implement, operationsOf } from '../core/contract.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import { ConnectorError } from '../core/errors.ts';
import type { Queryable } from '../core/queryable.ts';
import type { CredentialVault } from '../core/vault.ts';
import { crm } from '../crm/contract.ts';
import { ticketing } from '../ticketing/contract.ts';
import {
  type BackendBuildDeps,
  type BackendField,
  builtinBackend,
  type VendorBackend,
  vendorBackend,
  vendorBackends,
} from './catalogue.ts';
import type { SelectableKind } from './kinds.ts';

/** A backend choice that cannot be stored or built; the message says what to fix, never a secret. */
export class BackendConfigError extends Error {
  override name = 'BackendConfigError';
  /** `pinned`: the environment decides this kind; `invalid`: the choice is unknown or incomplete. */
  readonly reason: 'pinned' | 'invalid';
  constructor(message: string, reason: 'pinned' | 'invalid' = 'invalid') {
    super(message);
    this.reason = reason;
  }
}

/** What the admin page shows of one field: where its value comes from, and the value unless secret. */
export interface BackendFieldView extends BackendField {
  source: 'environment' | 'stored' | null;
  value: string | null;
}

/** One kind as the admin page shows it. */
export interface BackendView {
  kind: SelectableKind;
  backend: string;
  /** The environment variable that pins the choice, when one does. */
  pinnedBy: string | null;
  updatedBy: string | null;
  updatedAt: Date | null;
  options: Array<{ id: string; title: string; fields: BackendFieldView[] }>;
}

/** A choice as an admin submits it: non-secret settings, and secrets (null removes a stored one). */
export interface BackendInput {
  settings?: Record<string, string>;
  secrets?: Record<string, string | null>;
}

/** Which backend each kind runs on, and building it; the admin page and every process read it. */
export interface BackendSelection {
  /** The vendor connector the current choice of `kind` builds, or null for the built-in backend. */
  build(kind: SelectableKind): Promise<ConnectorDefinition | null>;
  /** Builds a candidate without storing anything ("Test connection" before saving). */
  candidate(kind: SelectableKind, backend: string, input: BackendInput): Promise<ConnectorDefinition | null>;
  /** Stores the choice (secrets into the vault); refused when incomplete or pinned by the environment. */
  choose(kind: SelectableKind, backend: string, input: BackendInput, by: string): Promise<void>;
  describe(): Promise<BackendView[]>;
  /**
   * A vendor backend's settings as they would build it (environment, else stored, else the vault's
   * secrets), for code that talks to the same vendor outside the connector (Stripe's webhooks).
   */
  settingsOf(kind: SelectableKind, backend: string): Promise<Record<string, string>>;
}

const kindContracts: Record<SelectableKind, Record<string, AnyOperationContract>> = {
  billing,
  crm,
  ticketing,
  calendar,
};

const pinVariables: Record<SelectableKind, keyof BackendEnvironment> = {
  billing: 'BILLING_BACKEND',
  crm: 'CRM_BACKEND',
  ticketing: 'TICKETING_BACKEND',
  calendar: 'CALENDAR_BACKEND',
};

/** The vault field a backend's secret is kept under (connector id = the kind), e.g. `stripe_secret_key`. */
export const vaultField = (backend: string, field: string) => `${backend}_${field}`;

interface StoredChoice {
  backend: string;
  settings: Record<string, string>;
  updated_by: string | null;
  updated_at: Date;
}

export function createBackendSelection(options: {
  db: Queryable;
  vault: CredentialVault;
  env: BackendEnvironment;
  /** What backends are built from; the vault is the selection's own. */
  deps: Omit<BackendBuildDeps, 'vault'>;
}): BackendSelection {
  const { db, vault, env } = options;
  const deps: BackendBuildDeps = { ...options.deps, vault };

  async function stored(kind: SelectableKind): Promise<StoredChoice | null> {
    const { rows } = await db.query<StoredChoice>(
      'SELECT backend, settings, updated_by, updated_at FROM connector_backends WHERE kind = $1',
      [kind],
    );
    return rows[0] ?? null;
  }

  async function current(kind: SelectableKind): Promise<{ backend: string; row: StoredChoice | null }> {
    const row = await stored(kind);
    return { backend: env[pinVariables[kind]] ?? row?.backend ?? builtinBackend, row };
  }

  function known(kind: SelectableKind, backend: string): VendorBackend | null {
    if (backend === builtinBackend) return null;
    const found = vendorBackend(kind, backend);
    if (!found) {
      const names = [builtinBackend, ...vendorBackends[kind].map((option) => option.id)].join(', ');
      throw new BackendConfigError(`${kind} has no backend "${backend}" (one of ${names})`);
    }
    return found;
  }

  /** Every field's value: the environment's, else the submitted one, else the stored one. */
  async function valuesOf(
    backend: VendorBackend,
    row: StoredChoice | null,
    input: BackendInput = {},
  ): Promise<Record<string, string>> {
    const values: Record<string, string> = {};
    for (const field of backend.fields) {
      const fromEnv = env[field.env];
      const submitted = field.secret ? input.secrets?.[field.name] : input.settings?.[field.name];
      let value: string | null | undefined = fromEnv ?? submitted;
      if (value === undefined) {
        value = field.secret
          ? await vault.get(backend.kind, vaultField(backend.id, field.name))
          : row?.backend === backend.id
            ? row.settings[field.name]
            : undefined;
      }
      if (value) values[field.name] = value;
    }
    return values;
  }

  function buildChecked(backend: VendorBackend, values: Record<string, string>): ConnectorDefinition {
    const problem = backend.validate(values);
    if (problem) throw new BackendConfigError(`${backend.title} (${backend.kind}): ${problem}`);
    try {
      return backend.build(values, deps);
    } catch (error) {
      throw new BackendConfigError(`${backend.title} (${backend.kind}): ${(error as Error).message}`);
    }
  }

  return {
    async build(kind) {
      const { backend: name, row } = await current(kind);
      let backend: VendorBackend | null;
      try {
        backend = known(kind, name);
      } catch (error) {
        return unavailableConnector(kind, (error as Error).message);
      }
      if (!backend) return null;
      try {
        return buildChecked(backend, await valuesOf(backend, row));
      } catch (error) {
        // Never fall back to the built-in tables: that would act on other data. The kind stays
        // unavailable (every call fails, health says why) until the admin completes the settings.
        return unavailableConnector(kind, (error as Error).message);
      }
    },

    async candidate(kind, name, input) {
      const backend = known(kind, name);
      if (!backend) return null;
      return buildChecked(backend, await valuesOf(backend, await stored(kind), input));
    },

    async choose(kind, name, input, by) {
      const pinned = env[pinVariables[kind]];
      if (pinned && pinned !== name)
        throw new BackendConfigError(
          `${kind} is pinned to "${pinned}" by ${pinVariables[kind]} in the environment; change it there`,
          'pinned',
        );
      const backend = known(kind, name);
      const row = await stored(kind);
      const settings: Record<string, string> = {};
      if (backend) {
        for (const field of backend.fields) {
          const given = field.secret ? undefined : input.settings?.[field.name];
          if (given !== undefined && !field.secret) settings[field.name] = given;
          else if (!field.secret && row?.backend === backend.id && row.settings[field.name] !== undefined)
            settings[field.name] = row.settings[field.name]!;
        }
        const unknown = [
          ...Object.keys(input.settings ?? {}).filter(
            (key) => !backend.fields.some((f) => f.name === key && !f.secret),
          ),
          ...Object.keys(input.secrets ?? {}).filter(
            (key) => !backend.fields.some((f) => f.name === key && f.secret),
          ),
        ];
        if (unknown.length > 0)
          throw new BackendConfigError(`${backend.title} has no setting ${unknown.join(', ')}`);
        // Checked before anything is stored: an incomplete choice changes nothing.
        const values = await valuesOf(backend, row, input);
        for (const [field, secret] of Object.entries(input.secrets ?? {}))
          if (secret === null) delete values[field];
        buildChecked(backend, values);
        for (const [field, secret] of Object.entries(input.secrets ?? {})) {
          if (secret === null) await vault.delete(kind, vaultField(backend.id, field));
          else await vault.put(kind, vaultField(backend.id, field), secret);
        }
      }
      // Switching keeps the other backend's data: its tables, its vault fields, its stored settings
      // are not touched (only the chosen backend's settings are in this row).
      await db.query(
        `INSERT INTO connector_backends (kind, backend, settings, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (kind) DO UPDATE SET backend = EXCLUDED.backend, settings = EXCLUDED.settings,
           updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [kind, name, JSON.stringify(settings), by],
      );
    },

    async settingsOf(kind, name) {
      const backend = known(kind, name);
      return backend ? valuesOf(backend, await stored(kind)) : {};
    },

    async describe() {
      const views: BackendView[] = [];
      for (const kind of Object.keys(vendorBackends) as SelectableKind[]) {
        const { backend, row } = await current(kind);
        const storedSecrets = new Set((await vault.list(kind)).map((info) => info.field));
        const options = [];
        for (const option of vendorBackends[kind]) {
          const fields: BackendFieldView[] = [];
          for (const field of option.fields) {
            const fromEnv = env[field.env];
            const storedValue = field.secret
              ? storedSecrets.has(vaultField(option.id, field.name))
              : row?.backend === option.id
                ? row.settings[field.name]
                : undefined;
            const source = fromEnv ? 'environment' : storedValue ? 'stored' : null;
            const value = field.secret
              ? null
              : (fromEnv ?? (typeof storedValue === 'string' ? storedValue : null));
            fields.push({ ...field, source, value });
          }
          options.push({ id: option.id, title: option.title, fields });
        }
        views.push({
          kind,
          backend,
          pinnedBy: env[pinVariables[kind]] ? pinVariables[kind] : null,
          updatedBy: row?.updated_by ?? null,
          updatedAt: row?.updated_at ?? null,
          options,
        });
      }
      return views;
    },
  };
}

/**
 * A kind whose chosen backend cannot be built (a setting missing, a key no longer in the vault):
 * every operation fails as `permanent` with the reason, and the health check reports it, so the
 * agent escalates honestly and the admin sees what to fix.
 */
export function unavailableConnector(kind: SelectableKind, reason: string): ConnectorDefinition {
  const contracts = kindContracts[kind];
  const operations = Object.values(contracts).map((contract) =>
    implement(contract, {
      scopes: [],
      timeoutMs: 1_000,
      run: async () => {
        throw new ConnectorError('permanent', `the ${kind} system is not configured: ${reason}`);
      },
    }),
  );
  const definition: ConnectorDefinition = {
    id: kind,
    title: `${kind} (not configured)`,
    grantedScopes: [],
    check: async () => ({ ok: false, detail: `not configured: ${reason}` }),
    operations: operationsOf(contracts, operations, kind),
  };
  unavailable.set(definition, reason);
  return definition;
}

const unavailable = new WeakMap<ConnectorDefinition, string>();

/** Why `definition` is an unavailable stand-in (a chosen backend that could not be built), or null. */
export const unavailableReason = (definition: ConnectorDefinition): string | null =>
  unavailable.get(definition) ?? null;
