import { z } from 'zod';
import { escalationReasons } from '../../escalation-reasons.ts';

/**
 * The YAML format of a declarative procedure (docs/procedures.md). Every mapping is strict: an
 * unknown key is an error naming its path, so a typo never passes silently.
 */

export const procedureIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'use 2–40 lower-case letters, digits and "_", starting with a letter');

const slotNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'use lower-case letters, digits and "_", starting with a letter');

/** `connector.operation`, as the gateway names an operation. */
const operationNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*\.[a-z][A-Za-z0-9_]*$/, 'name an operation as connector.operation');

const text = z.string().trim().min(1);

const compilable = (source: string) => {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
};

const slotBase = { ask: text.max(300) };

export const slotSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('id'),
    /** A regular expression the id must match (case-insensitive), e.g. `ORD-\d{4,}`. */
    pattern: z.string().min(1).max(200).refine(compilable, 'is not a valid regular expression').optional(),
    ...slotBase,
  }),
  z.strictObject({ type: z.literal('date'), ...slotBase }),
  z.strictObject({ type: z.literal('amount'), ...slotBase }),
  z.strictObject({
    type: z.literal('enum'),
    values: z.array(text.max(60)).min(1).max(50),
    /** Other words customers use for a value: `{ broken: damaged }`. */
    synonyms: z.record(text.max(60), text.max(60)).optional(),
    ...slotBase,
  }),
  z.strictObject({ type: z.literal('text'), ...slotBase }),
]);
export type SlotDefinition = z.infer<typeof slotSchema>;
export type SlotType = SlotDefinition['type'];

/** An input value: a template string (`"{{ slots.order_id }}"`) or a literal. */
const inputValueSchema = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);
const inputSchema = z.record(z.string().min(1).max(80), inputValueSchema);

const stepNameSchema = slotNameSchema;

export const stepSchema = z.union([
  z.strictObject({ read: operationNameSchema, as: stepNameSchema, input: inputSchema.default({}) }),
  /** The customer-facing summary asked before the writes ("Shall I cancel order ORD-1?"). */
  z.strictObject({ confirm: text.max(500) }),
  z.strictObject({
    write: operationNameSchema,
    as: stepNameSchema.optional(),
    input: inputSchema.default({}),
    /** What the write does, in the customer's words (shown in the confirmation and to a human). */
    label: text.max(200),
  }),
  /** The answer (last step): may use slots and the fields the steps before it returned. */
  z.strictObject({ reply: text.max(1000) }),
]);
export type StepDefinition = z.infer<typeof stepSchema>;

const conditionSchema = z.union([
  z.strictObject({ field: text, equals: inputValueSchema }),
  z.strictObject({ field: text, in: z.array(inputValueSchema).min(1) }),
  z.strictObject({ field: text, above: z.number() }),
  z.strictObject({ field: text, below: z.number() }),
  z.strictObject({ field: text, missing: z.literal(true) }),
]);
export type ConditionDefinition = z.infer<typeof conditionSchema>;

export const escalationRuleSchema = z.strictObject({
  /** A condition on a read step's field (`steps.order.status`), checked right after that read. */
  when: conditionSchema,
  reason: z.enum(escalationReasons),
  priority: z.enum(['low', 'normal', 'high', 'urgent']).default('normal'),
  /** What the customer is told. */
  say: text.max(500),
});
export type EscalationRuleDefinition = z.infer<typeof escalationRuleSchema>;

export const procedureDefinitionSchema = z.strictObject({
  /** Must match the id it is saved under, when given. */
  id: procedureIdSchema.optional(),
  /** What the customer wants, in words ("the status of an order"). */
  title: text.max(120),
  /** `required` (default): the customer must be verified; `none`: anyone may run it (reads only). */
  verification: z.enum(['required', 'none']).default('required'),
  /** How customers ask for it: extends the intent classifier (at least 3, at most 50). */
  phrasings: z.array(text.max(300)).min(3).max(50),
  slots: z.record(slotNameSchema, slotSchema).default({}),
  steps: z.array(stepSchema).min(1).max(20),
  escalate: z.array(escalationRuleSchema).max(20).default([]),
});
export type ProcedureDefinition = z.infer<typeof procedureDefinitionSchema>;
