import type { DeclaredSlotName, SlotKey } from '../../events.ts';
import type { DeclaredIntent } from '../../intents.ts';
import {
  type Plan,
  type Procedure,
  type ProcedureContext,
  ReadFailed,
  type WriteAction,
} from '../procedure.ts';
import type { ConditionDefinition, ProcedureDefinition, StepDefinition } from './definition.ts';
import { readSlot } from './slots.ts';
import { lookup, render, resolveInput, type TemplateScope } from './template.ts';

/** The intent and the state's slot keys of a declarative procedure. */
export const declaredIntent = (id: string): DeclaredIntent => `custom.${id}`;
export const declaredSlot = (name: string): DeclaredSlotName => `custom.${name}`;

const splitOperation = (name: string) => {
  const dot = name.indexOf('.');
  return { connector: name.slice(0, dot), operation: name.slice(dot + 1) };
};

/**
 * A declarative procedure as the graph runs it: a `Procedure` like the built-in ones. `plan` asks
 * for the missing slots, runs the reads through the pipeline (`readByName`: identity binding, policy,
 * audit), checks the escalation rules after each read, and then asks to confirm the writes or replies;
 * the writes themselves run in `execute` after the customer's yes, and `complete` renders the reply.
 * The definition was validated when it was saved (./validate.ts).
 */
export function compileProcedure(id: string, definition: ProcedureDefinition): Procedure {
  const slotEntries = Object.entries(definition.slots);
  const steps = definition.steps;
  const replyStep = steps.find((step): step is Extract<StepDefinition, { reply: string }> => 'reply' in step);

  const scopeOf = (context: Pick<ProcedureContext, 'slots' | 'customer'>): TemplateScope => ({
    slots: Object.fromEntries(
      slotEntries.flatMap(([name, slot]) => {
        const value = context.slots[declaredSlot(name)];
        if (value === undefined) return [];
        return [[name, slot.type === 'amount' ? Number(value) : value]];
      }),
    ),
    steps: {},
    customer: context.customer
      ? {
          name: context.customer.name,
          email: context.customer.email,
          account_name: context.customer.accountName,
        }
      : null,
  });

  const inputOf = (input: Record<string, string | number | boolean | null>, scope: TemplateScope) =>
    Object.fromEntries(Object.entries(input).map(([key, value]) => [key, resolveInput(value, scope)]));

  const escalation = (stepName: string, scope: TemplateScope): Plan | null => {
    for (const rule of definition.escalate) {
      if (!rule.when.field.startsWith(`steps.${stepName}.`)) continue;
      const value = lookup(scope, rule.when.field);
      if (!holds(rule.when, value)) continue;
      return {
        kind: 'escalate',
        reason: rule.reason,
        priority: rule.priority,
        text: render(rule.say, scope),
        summary: `Procedure ${id} (${definition.title}): ${rule.when.field} is ${JSON.stringify(value ?? null)}, which its escalation rule hands to a person.`,
      };
    }
    return null;
  };

  const procedure: Procedure = {
    intent: declaredIntent(id),
    title: definition.title,
    verification: definition.verification,
    slots: Object.fromEntries(slotEntries.map(([name, slot]) => [declaredSlot(name), { prompt: slot.ask }])),
    slotsFrom(message, reading) {
      const found: Partial<Record<SlotKey, string>> = {};
      for (const [name, slot] of slotEntries) {
        const key = declaredSlot(name);
        const value = readSlot(slot, message, { ...reading, expected: reading.expecting === key });
        if (value !== undefined) found[key] = value;
      }
      return found;
    },
    async plan(context) {
      for (const [name, slot] of slotEntries) {
        const key = declaredSlot(name);
        if (context.slots[key] === undefined) return { kind: 'ask', slot: key, prompt: slot.ask };
      }
      const scope = scopeOf(context);
      let stale = false;
      for (const [index, step] of steps.entries()) {
        if ('read' in step) {
          const { connector, operation } = splitOperation(step.read);
          const outcome = await context.readByName(connector, operation, inputOf(step.input, scope));
          if (!outcome.ok) throw new ReadFailed(outcome, step.read);
          scope.steps[step.as] = outcome.data;
          stale ||= outcome.stale;
          const handOver = escalation(step.as, scope);
          if (handOver) return handOver;
        } else if ('confirm' in step) {
          const actions: WriteAction[] = steps.slice(index + 1).flatMap((later) => {
            if (!('write' in later)) return [];
            return [
              {
                ...splitOperation(later.write),
                input: inputOf(later.input, scope),
                label: render(later.label, scope),
              },
            ];
          });
          return { kind: 'confirm', prompt: render(step.confirm, scope), actions };
        } else if ('reply' in step) {
          // Served from the cache while the system is down: said, never passed off as current.
          const note = stale ? ' (This is from our last sync: the system is slow to answer right now.)' : '';
          return { kind: 'reply', outcome: 'answered', text: `${render(step.reply, scope)}${note}` };
        }
      }
      return { kind: 'reply', outcome: 'answered', text: 'Done.' };
    },
    complete(context, results) {
      const scope = scopeOf(context);
      const writes = steps.filter((step) => 'write' in step);
      writes.forEach((step, position) => {
        if (step.as && results[position]) scope.steps[step.as] = results[position].output;
      });
      return { text: replyStep ? render(replyStep.reply, scope) : 'Done.' };
    },
  };
  return procedure;
}

const same = (a: unknown, b: unknown) =>
  a === b || (a !== undefined && a !== null && String(a) === String(b));

function holds(condition: ConditionDefinition, value: unknown): boolean {
  if ('equals' in condition) return same(value, condition.equals);
  if ('in' in condition) return condition.in.some((candidate) => same(value, candidate));
  if ('above' in condition) return typeof value === 'number' && value > condition.above;
  if ('below' in condition) return typeof value === 'number' && value < condition.below;
  return value === undefined || value === null || value === '';
}
