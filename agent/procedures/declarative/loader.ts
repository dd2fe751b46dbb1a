import { parse } from 'yaml';
import type { ConnectorDefinition } from '../../../connectors/core/definition.ts';
import type { Queryable } from '../../../connectors/core/queryable.ts';
import type { DeclaredIntent } from '../../intents.ts';
import type { Procedure } from '../procedure.ts';
import type { ProcedureRegistry } from '../registry.ts';
import { compileProcedure, declaredIntent } from './compile.ts';
import { procedureDefinitionSchema } from './definition.ts';
import { idPattern } from './slots.ts';
import { listProcedures } from './store.ts';
import { type PhrasingCheck, type ProcedureValidation, validateProcedure } from './validate.ts';

/** What an id of the procedure's own pattern in a message adds to its score (as `TCK-…` does for tickets). */
const idMentionBoost = 0.12;

/** A stored procedure as this process runs it, and why not when it does not. */
export interface LoadedProcedureState {
  id: string;
  version: number;
  /** Set when the stored YAML no longer parses (it is skipped until fixed). */
  error: string | null;
}

/** This process's declarative procedures: checked before saving, loaded into the agent after. */
export interface DeclarativeProcedures {
  /** Checks a procedure against the connectors registered now (and the classifier, when local). */
  validate(id: string, source: string): Promise<ProcedureValidation>;
  /**
   * Loads the enabled stored procedures into the registry and gives their phrasings to the
   * classifier. Reloads run one at a time; one asked for while another runs runs after it.
   */
  reload(): Promise<LoadedProcedureState[]>;
  /** As of the last reload. */
  states(): LoadedProcedureState[];
}

export function createDeclarativeProcedures(options: {
  db: Queryable;
  registry: ProcedureRegistry;
  /** The connectors registered now (`ManagedConnectorGateway.definitions`). */
  connectors: () => ConnectorDefinition[];
  /** The local classifier's check of phrasings against the built-in intents (absent with an LLM reasoner). */
  closeness?: PhrasingCheck;
  /**
   * Called after each reload with every loaded procedure's phrasings, by intent, and the keyword
   * boosts of its id patterns (an order number in the message points to the procedures that take one).
   */
  onPhrasings?: (
    phrasings: Partial<Record<DeclaredIntent, string[]>>,
    boosts: Array<[DeclaredIntent, RegExp, number]>,
  ) => void;
}): DeclarativeProcedures {
  let states: LoadedProcedureState[] = [];
  let running: Promise<LoadedProcedureState[]> = Promise.resolve([]);

  async function loadOnce(): Promise<LoadedProcedureState[]> {
    const rows = (await listProcedures(options.db)).filter((row) => row.enabled);
    const loaded: Procedure[] = [];
    const phrasings: Partial<Record<DeclaredIntent, string[]>> = {};
    const boosts: Array<[DeclaredIntent, RegExp, number]> = [];
    const next: LoadedProcedureState[] = [];
    for (const row of rows) {
      try {
        const definition = procedureDefinitionSchema.parse(parse(row.source));
        loaded.push(compileProcedure(row.id, definition));
        phrasings[declaredIntent(row.id)] = definition.phrasings;
        for (const slot of Object.values(definition.slots))
          if (slot.type === 'id' && slot.pattern)
            boosts.push([declaredIntent(row.id), idPattern(slot.pattern), idMentionBoost]);
        next.push({ id: row.id, version: row.version, error: null });
      } catch (error) {
        next.push({
          id: row.id,
          version: row.version,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    options.registry.replaceDeclared(loaded);
    options.onPhrasings?.(phrasings, boosts);
    states = next;
    return next;
  }

  return {
    validate: (id, source) =>
      validateProcedure(id, source, {
        connectors: options.connectors(),
        ...(options.closeness ? { closeness: options.closeness } : {}),
      }),
    reload() {
      running = running.catch(() => []).then(loadOnce);
      return running;
    },
    states: () => states,
  };
}
