import { z } from 'zod';
import { escalationReasons } from '../agent/escalation-reasons.ts';
import type { SlotName } from '../agent/events.ts';
import { procedureIdSchema } from '../agent/procedures/declarative/definition.ts';
import { type World, worldSchema } from '../db/world/world-schema.ts';
import {
  connectorIds,
  isWriteOperationName,
  type WriteOperationName,
  writeOperations,
} from './write-operations.ts';

/**
 * The scenario format of docs/evals.md (a contract). Every object is strict — an unknown key is
 * an error — and the optional keys are exactly the ones docs/evals.md lists. The world reuses the
 * world schema of `db/world`, so a scenario's world and a fixture world are one format.
 */

export const slotNames = [
  'invoice_id',
  'payment_id',
  'ticket_id',
  'booking_id',
  'plan',
  'preferred_time',
  'email',
  'phone',
  'name',
  'title',
  'description',
  'amount_cents',
] as const satisfies readonly SlotName[];

const isoDateTime = z.iso.datetime({ offset: true });
const text = z.string().trim().min(1);
const slotValue = z.union([z.string().min(1), z.number()]);

const knowsSchema = z.strictObject(
  Object.fromEntries(slotNames.map((slot) => [slot, slotValue.optional()])) as Record<
    SlotName,
    z.ZodOptional<typeof slotValue>
  >,
);

export const customerSchema = z.strictObject({
  contact: text,
  verified: z.boolean(),
  channel: z.enum(['chat', 'email']).default('chat'),
  says: z.array(text).min(1, 'needs at least one opening message'),
  knows: knowsSchema.default({}),
  confirms: z.boolean().default(true),
});

export const humanSchema = z.strictObject({
  /** true: approve the pending action; false: deny it; absent: nobody answers. */
  approves: z.boolean().optional(),
});

export const faultSchema = z
  .strictObject({
    connector: z.enum(connectorIds),
    operation: text,
    mode: z.enum(['error', 'timeout', 'slow', 'malformed']),
    times: z.number().int().min(1),
    delay_ms: z.number().int().min(1).optional(),
  })
  .superRefine((fault, context) => {
    if (fault.mode === 'slow' && fault.delay_ms === undefined)
      context.addIssue({ code: 'custom', path: ['delay_ms'], message: 'is required when mode is slow' });
    if (fault.mode !== 'slow' && fault.delay_ms !== undefined)
      context.addIssue({ code: 'custom', path: ['delay_ms'], message: 'is only valid when mode is slow' });
  });

export const expectedWriteSchema = z
  .strictObject({ op: z.string(), args: z.record(z.string(), z.unknown()) })
  .superRefine((write, context) => {
    if (!isWriteOperationName(write.op)) {
      context.addIssue({
        code: 'custom',
        path: ['op'],
        message: `unknown operation "${write.op}" (one of: ${Object.keys(writeOperations).join(', ')})`,
      });
      return;
    }
    const parsed = writeOperations[write.op].args.safeParse(write.args);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        context.addIssue({
          code: 'custom',
          path: ['args', ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))],
          message:
            issue.code === 'unrecognized_keys'
              ? `${issue.keys.map((key) => `"${key}"`).join(', ')} cannot be matched for ${write.op}`
              : issue.message,
        });
      }
    }
  })
  .transform((write) => write as { op: WriteOperationName; args: Record<string, unknown> });

/**
 * An expected email: `to`, and optionally its subject, the template that rendered it (e.g.
 * `invoice_copy`, `refund_issued`) and key values its text must carry (e.g. the invoice id), so a
 * different document emailed does not pass as the expected one.
 */
export const expectedEmailSchema = z.strictObject({
  to: z.email(),
  subject_includes: text.optional(),
  template: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'must be a template name such as invoice_copy')
    .optional(),
  body_includes: z.array(text).optional(),
});

/** A fact an answer must state: a case-insensitive substring, or `/pattern/` (a case-insensitive regex). */
const factSchema = text.superRefine((fact, context) => {
  const pattern = factPattern(fact);
  if (pattern instanceof Error)
    context.addIssue({ code: 'custom', message: `is not a valid /regex/: ${pattern.message}` });
});

/** The regex of a `/pattern/` fact, null for a plain substring, an Error for a broken pattern. */
export function factPattern(fact: string): RegExp | null | Error {
  const match = /^\/(.+)\/$/s.exec(fact);
  if (!match) return null;
  try {
    return new RegExp(match[1]!, 'i');
  } catch (error) {
    return error as Error;
  }
}

/** Whether `text` states `fact` (substring or regex, case-insensitive). */
export function statesFact(text: string, fact: string): boolean {
  const pattern = factPattern(fact);
  if (pattern instanceof Error) return false;
  return pattern ? pattern.test(text) : text.toLowerCase().includes(fact.toLowerCase());
}

export const expectSchema = z.strictObject({
  outcome: z.enum(['resolved', 'answered', 'escalated']),
  escalation_reason: z.enum(escalationReasons).nullable().optional(),
  writes: z.array(expectedWriteSchema).optional(),
  no_other_writes: z.boolean().optional(),
  emails: z.array(expectedEmailSchema).optional(),
  reply_includes: z.array(text).optional(),
  reply_excludes: z.array(text).optional(),
  cites: z.array(text).optional(),
  /** Facts of the article the answer must state (not only cite); none may be in the customer's own words. */
  reply_contains_fact: z.array(factSchema).optional(),
  /**
   * Actions a careful agent may propose besides `writes` (e.g. the plan change a customer then
   * declines): a confirmation matching neither is a wrong proposal. Nothing here has to happen.
   */
  proposals: z.array(expectedWriteSchema).optional(),
  max_turns: z.number().int().min(1).max(50).optional(),
});

export const scenarioSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"'),
  title: text,
  tags: z.array(text),
  world: worldSchema,
  now: isoDateTime.optional(),
  customer: customerSchema,
  human: humanSchema.optional(),
  faults: z.array(faultSchema).optional(),
  /** Declarative procedures the team added (docs/procedures.md), saved as the admin API would. */
  procedures: z.array(z.strictObject({ id: procedureIdSchema, source: text })).optional(),
  expect: expectSchema,
});

/** A validated scenario, defaults applied (`customer.channel`, `customer.confirms`, `customer.knows`). */
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioExpect = Scenario['expect'];
export type ExpectedWrite = NonNullable<ScenarioExpect['writes']>[number];
export type ScenarioFault = NonNullable<Scenario['faults']>[number];
export type ScenarioWorld = World;

/** A problem found in a scenario: the field path (e.g. `expect.writes[0].op`) and what is wrong. */
export interface ScenarioIssue {
  path: string;
  message: string;
}

/** Formats a zod path as `expect.writes[0].op`. */
export function formatFieldPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? '(root)' : text;
}

/**
 * Validates a scenario: the structure first, then the references between its parts (the customer
 * and every id an expected write names must exist in the world).
 */
export function validateScenario(input: unknown): { scenario: Scenario } | { issues: ScenarioIssue[] } {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((issue) => ({
        path: formatFieldPath(issue.path),
        message:
          issue.code === 'unrecognized_keys'
            ? `unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`
            : issue.message,
      })),
    };
  }
  const issues = checkReferences(parsed.data);
  return issues.length > 0 ? { issues } : { scenario: parsed.data };
}

function checkReferences(scenario: Scenario): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const { world } = scenario;
  const ids = {
    accounts: new Set(world.accounts.map((item) => item.id)),
    contacts: new Set(world.contacts.map((item) => item.id)),
    subscriptions: new Set(world.subscriptions.map((item) => item.id)),
    payments: new Set(world.payments.map((item) => item.id)),
    bookings: new Set(world.bookings.map((item) => item.id)),
    engineers: new Set(world.engineers.map((item) => item.id)),
    tickets: new Set(world.tickets.map((item) => item.id)),
  };
  if (!ids.contacts.has(scenario.customer.contact)) {
    issues.push({
      path: 'customer.contact',
      message: `"${scenario.customer.contact}" does not match any world.contacts id`,
    });
  }
  for (const list of ['writes', 'proposals'] as const) {
    scenario.expect[list]?.forEach((write, index) => {
      const references: Record<string, keyof typeof ids> = writeOperations[write.op].references;
      for (const [argument, collection] of Object.entries(references)) {
        const value = write.args[argument];
        if (typeof value === 'string' && !ids[collection].has(value)) {
          issues.push({
            path: `expect.${list}[${index}].args.${argument}`,
            message: `"${value}" does not match any world.${collection} id`,
          });
        }
      }
    });
  }
  scenario.expect.reply_contains_fact?.forEach((fact, index) => {
    // A fact the customer already wrote proves nothing when the agent repeats it.
    if (scenario.customer.says.some((say) => statesFact(say, fact)))
      issues.push({
        path: `expect.reply_contains_fact[${index}]`,
        message: `"${fact}" is in the customer's own messages, so an echo would pass it`,
      });
  });
  const { outcome, escalation_reason: reason } = scenario.expect;
  if (reason && outcome !== 'escalated') {
    issues.push({
      path: 'expect.escalation_reason',
      message: `is "${reason}" but the outcome is "${outcome}" (a reason needs outcome: escalated)`,
    });
  }
  if (world.articles.length > 0) {
    const slugs = new Set(world.articles.map((article) => article.slug));
    scenario.expect.cites?.forEach((slug, index) => {
      if (!slugs.has(slug))
        issues.push({
          path: `expect.cites[${index}]`,
          message: `"${slug}" is not one of the world's articles (world.articles replaces the default KB)`,
        });
    });
  }
  return issues;
}
