import type { AgentDependencies } from '../dependencies.ts';
import type { IntentId } from '../intents.ts';
import { procedures } from './index.ts';
import type { Procedure } from './procedure.ts';

/**
 * The procedures the graph runs, by intent: the built-in ones (TypeScript, agent/procedures/*.ts) and
 * the declarative ones an admin saved (agent/procedures/declarative/), loaded at run time. A declared
 * intent is always `custom.<id>`, so it can never replace a built-in one.
 */
export interface ProcedureRegistry {
  /**
   * The procedure of an intent. A declared one that is gone (deleted or disabled mid-conversation)
   * falls back to `other`: the customer gets a polite answer, never a crash.
   */
  get(intent: IntentId): Procedure;
  /** The declarative procedures loaded now. */
  declared(): Procedure[];
  /** Puts the loaded declarative procedures in place (all at once: the previous set is dropped). */
  replaceDeclared(loaded: Procedure[]): void;
}

const isBuiltin = (intent: string): intent is keyof typeof procedures => Object.hasOwn(procedures, intent);

/** A built-in procedure, or `other` for an intent no built-in procedure has. */
const builtinProcedure = (intent: IntentId): Procedure =>
  isBuiltin(intent) ? procedures[intent] : procedures.other;

export function createProcedureRegistry(): ProcedureRegistry {
  let declared = new Map<IntentId, Procedure>();
  return {
    get: (intent) => (isBuiltin(intent) ? procedures[intent] : (declared.get(intent) ?? procedures.other)),
    declared: () => [...declared.values()],
    replaceDeclared(loaded) {
      const next = new Map<IntentId, Procedure>();
      for (const procedure of loaded) {
        if (isBuiltin(procedure.intent))
          throw new Error(`${procedure.intent} is a built-in intent; a declarative procedure cannot take it`);
        next.set(procedure.intent, procedure);
      }
      declared = next;
    },
  };
}

/** The procedure of an intent in the agent's registry (an agent built without one: the built-in ones). */
export const procedureFor = (deps: Pick<AgentDependencies, 'procedures'>, intent: IntentId): Procedure =>
  deps.procedures ? deps.procedures.get(intent) : builtinProcedure(intent);
