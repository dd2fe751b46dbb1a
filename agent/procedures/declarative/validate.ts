import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ConnectorDefinition, OperationDefinition } from '../../../connectors/core/definition.ts';
import { type ProcedureDefinition, procedureDefinitionSchema } from './definition.ts';
import { checkPath, fieldsOf, jsonSchemaOf } from './schema-fields.ts';
import { filters, references } from './template.ts';

/** A problem in a procedure's YAML, at a path (`steps.1.read`, `slots.order_id.pattern`). */
export interface ProcedureIssue {
  path: string;
  message: string;
}

export type ProcedureValidation =
  | { ok: true; definition: ProcedureDefinition; warnings: ProcedureIssue[] }
  | { ok: false; issues: ProcedureIssue[] };

/** How each phrasing reads to the built-in intents (the local classifier's `closeness`). */
export type PhrasingCheck = (texts: string[]) => Promise<
  Array<{
    intent: string;
    confidence: number;
    nearest: { intent: string; exemplar: string; similarity: number };
  }>
>;

export interface ValidationOptions {
  /** The connectors registered now (`ManagedConnectorGateway.definitions()`): operations, effects, schemas. */
  connectors: ConnectorDefinition[];
  /** When the local classifier runs: phrasings too close to a built-in intent are refused or warned about. */
  closeness?: PhrasingCheck;
}

/**
 * A phrasing the built-in classifier already gives to an action intent with this confidence, or
 * this like one of its exemplars, is refused: it would take that intent's requests ("I want a
 * refund" reads as billing.refund_request at 0.88). Measured on the local classifier; below the
 * warning levels a phrasing reads as nothing built in ("where is my order": 0.36).
 */
const refuseConfidence = 0.85;
const refuseSimilarity = 0.9;
const warnConfidence = 0.6;
const warnSimilarity = 0.75;
/** Taking a phrasing from these is no hijack: they are the fallbacks for what nothing else handles. */
const fallbackIntents = ['other', 'kb.question'];

const customerFields = ['name', 'email', 'account_name'];

/**
 * Parses and checks a declarative procedure: the YAML, the format (definition.ts), the operations it
 * names (they exist, reads are reads and writes writes, inputs are ones the operation takes), every
 * template reference (a declared slot, or a field the operation's output schema has, of a step that
 * ran before), the order of the steps, and its phrasings against the built-in intents.
 */
export async function validateProcedure(
  id: string,
  yamlText: string,
  options: ValidationOptions,
): Promise<ProcedureValidation> {
  const document = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    const at = error.linePos?.[0];
    return {
      ok: false,
      issues: [
        {
          path: at ? `(yaml) line ${at.line}, column ${at.col}` : '(yaml)',
          message: error.message.split('\n')[0]!,
        },
      ],
    };
  }
  const parsed = procedureDefinitionSchema.safeParse(document.toJS());
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.slice(0, 5).map(describeIssue) };
  const definition = parsed.data;
  const issues: ProcedureIssue[] = [];
  const warnings: ProcedureIssue[] = [];
  if (definition.id !== undefined && definition.id !== id)
    issues.push({ path: 'id', message: `is "${definition.id}" but the procedure is saved as "${id}"` });
  checkSteps(definition, options.connectors, issues, warnings);
  if (issues.length === 0 && options.closeness) await checkPhrasings(definition, options, issues, warnings);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, definition, warnings };
}

function describeIssue(issue: z.core.$ZodIssue): ProcedureIssue {
  // A step matches none of the step kinds: report the kind it came closest to.
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
    if (closest[0]) return describeIssue({ ...closest[0], path: [...issue.path, ...closest[0].path] });
  }
  const path = issue.path.map(String).join('.') || '(top)';
  if (issue.code === 'unrecognized_keys')
    return { path, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` };
  return { path, message: issue.message };
}

interface StepInfo {
  kind: 'read' | 'write';
  output: ReturnType<typeof jsonSchemaOf>;
}

function findOperation(
  connectors: ConnectorDefinition[],
  name: string,
): { operation: OperationDefinition<unknown, unknown> } | { problem: string } {
  const dot = name.indexOf('.');
  const connectorId = name.slice(0, dot);
  const operationName = name.slice(dot + 1);
  const connector = connectors.find((candidate) => candidate.id === connectorId);
  if (!connector)
    return {
      problem: `unknown connector "${connectorId}" (connectors: ${connectors.map((item) => item.id).join(', ')})`,
    };
  const operation = Object.values(connector.operations).find((candidate) => candidate.name === operationName);
  if (!operation)
    return {
      problem: `${connectorId} has no operation "${operationName}" (operations: ${
        Object.values(connector.operations)
          .map((item) => item.name)
          .join(', ') || 'none'
      })`,
    };
  return { operation: operation as OperationDefinition<unknown, unknown> };
}

function checkSteps(
  definition: ProcedureDefinition,
  connectors: ConnectorDefinition[],
  issues: ProcedureIssue[],
  warnings: ProcedureIssue[],
): void {
  const ran = new Map<string, StepInfo>();
  const slotsUsed = new Set<string>();
  let confirmAt = -1;
  let writesSeen = false;

  /**
   * Checks the references of one template, in the light of the steps run before it: `reads` before
   * the customer's yes (confirmation, inputs, labels, escalation texts), `writes` in a reply after them.
   */
  const checkTemplate = (template: string, path: string, uses: 'reads' | 'writes') => {
    for (const reference of references(template)) {
      if (reference.filter && !(filters as readonly string[]).includes(reference.filter))
        issues.push({
          path,
          message: `unknown filter "${reference.filter}" (filters: ${filters.join(', ')})`,
        });
      const [root, name, ...rest] = reference.path.split('.');
      if (root === 'slots' && name && rest.length === 0) {
        if (!definition.slots[name])
          issues.push({ path, message: `{{ ${reference.path} }}: no slot "${name}" is declared` });
        slotsUsed.add(name);
      } else if (root === 'customer' && name && rest.length === 0) {
        if (!customerFields.includes(name))
          issues.push({
            path,
            message: `{{ ${reference.path} }}: the customer fields are ${customerFields.join(', ')}`,
          });
      } else if (root === 'steps' && name) {
        const step = ran.get(name);
        if (!step) {
          issues.push({ path, message: `{{ ${reference.path} }}: no step named "${name}" runs before this` });
        } else if (uses === 'writes' && step.kind === 'read') {
          issues.push({
            path,
            message: `{{ ${reference.path} }}: a reply after writes may use the slots and the writes' outputs, not a read's`,
          });
        } else if (uses === 'reads' && step.kind === 'write') {
          issues.push({
            path,
            message: `{{ ${reference.path} }}: a write's output is known only after the customer's yes; use it in the reply`,
          });
        } else if (rest.length === 0) {
          issues.push({
            path,
            message: `{{ ${reference.path} }}: name a field of the step (steps.${name}.<field>)`,
          });
        } else if (step.output) {
          const found = checkPath(step.output, rest);
          if (found.result === 'missing')
            issues.push({
              path,
              message: `{{ ${reference.path} }}: step "${name}" returns no field "${found.at}" (fields: ${found.known.join(', ') || 'none'})`,
            });
        }
      } else {
        issues.push({
          path,
          message: `{{ ${reference.path} }}: use slots.<name>, steps.<step>.<field> or customer.<field>`,
        });
      }
    }
  };

  definition.steps.forEach((step, index) => {
    const at = `steps.${index}`;
    if ('reply' in step) {
      if (index !== definition.steps.length - 1)
        issues.push({ path: at, message: 'a reply must be the last step' });
      checkTemplate(step.reply, `${at}.reply`, writesSeen ? 'writes' : 'reads');
      return;
    }
    if ('confirm' in step) {
      if (confirmAt >= 0) issues.push({ path: at, message: 'only one confirm step' });
      confirmAt = index;
      checkTemplate(step.confirm, `${at}.confirm`, 'reads');
      return;
    }
    const kind = 'read' in step ? 'read' : 'write';
    const name = 'read' in step ? step.read : step.write;
    if (kind === 'read' && confirmAt >= 0)
      issues.push({
        path: `${at}.read`,
        message: 'reads come before the confirm step (nothing is read after the yes)',
      });
    if (kind === 'write' && confirmAt < 0)
      issues.push({ path: `${at}.write`, message: 'a write needs a confirm step before it' });
    if (kind === 'write') writesSeen = true;
    if (kind === 'write' && definition.verification === 'none')
      issues.push({
        path: `${at}.write`,
        message: 'writes need a verified customer: remove "verification: none"',
      });
    const found = findOperation(connectors, name);
    if ('problem' in found) {
      issues.push({ path: `${at}.${kind}`, message: found.problem });
    } else {
      const { operation } = found;
      if (operation.effect !== kind)
        issues.push({
          path: `${at}.${kind}`,
          message: `${name} is a ${operation.effect}; use "${operation.effect}:"`,
        });
      checkInputs(operation, step.input, `${at}.input`, issues);
    }
    for (const [key, value] of Object.entries(step.input))
      if (typeof value === 'string') checkTemplate(value, `${at}.input.${key}`, 'reads');
    if ('label' in step) checkTemplate(step.label, `${at}.label`, 'reads');
    if (step.as) {
      if (ran.has(step.as))
        issues.push({ path: `${at}.as`, message: `another step is already named "${step.as}"` });
      const output = 'operation' in found ? jsonSchemaOf(found.operation.output, 'output') : null;
      ran.set(step.as, { kind, output });
    }
  });
  if (confirmAt >= 0 && !writesSeen)
    issues.push({ path: `steps.${confirmAt}`, message: 'a confirm step needs writes after it' });
  const last = definition.steps.at(-1)!;
  if (!('reply' in last) && !writesSeen) issues.push({ path: 'steps', message: 'end with a reply step' });

  definition.escalate.forEach((rule, index) => {
    const path = `escalate.${index}.when.field`;
    const [root, name, ...rest] = rule.when.field.split('.');
    const step = name ? ran.get(name) : undefined;
    if (root !== 'steps' || !step || step.kind !== 'read' || rest.length === 0) {
      issues.push({ path, message: 'name a field of a read step: steps.<step>.<field>' });
      return;
    }
    if (step.output) {
      const found = checkPath(step.output, rest);
      if (found.result === 'missing')
        issues.push({
          path,
          message: `step "${name}" returns no field "${found.at}" (fields: ${found.known.join(', ') || 'none'})`,
        });
    }
    checkTemplate(rule.say, `escalate.${index}.say`, 'reads');
  });

  for (const name of Object.keys(definition.slots))
    if (!slotsUsed.has(name))
      warnings.push({ path: `slots.${name}`, message: 'is asked for but no step uses it' });
}

/** Inputs the operation does not take, and required ones not given (the customer-bound field aside). */
function checkInputs(
  operation: OperationDefinition<unknown, unknown>,
  input: Record<string, unknown>,
  path: string,
  issues: ProcedureIssue[],
): void {
  const schema = jsonSchemaOf(operation.input, 'input');
  const known = schema ? fieldsOf(schema) : null;
  const bound = operation.customerKey?.field;
  for (const key of Object.keys(input)) {
    if (key === bound)
      issues.push({
        path: `${path}.${key}`,
        message: 'is bound to the verified customer by the pipeline; leave it out',
      });
    else if (known && !known.includes(key))
      issues.push({
        path: `${path}.${key}`,
        message: `${operation.name} takes no input "${key}" (inputs: ${known.join(', ')})`,
      });
  }
  for (const required of schema?.required ?? [])
    if (required !== bound && !(required in input))
      issues.push({ path, message: `${operation.name} needs the input "${required}"` });
}

async function checkPhrasings(
  definition: ProcedureDefinition,
  options: ValidationOptions,
  issues: ProcedureIssue[],
  warnings: ProcedureIssue[],
): Promise<void> {
  const readings = await options.closeness!(definition.phrasings);
  readings.forEach((reading, index) => {
    const path = `phrasings.${index}`;
    const { nearest } = reading;
    const action = !fallbackIntents.includes(reading.intent);
    const detail = `reads as the built-in intent ${reading.intent} (confidence ${reading.confidence.toFixed(2)}; nearest example "${nearest.exemplar}" of ${nearest.intent}, similarity ${nearest.similarity.toFixed(2)})`;
    if ((action && reading.confidence >= refuseConfidence) || nearest.similarity >= refuseSimilarity)
      issues.push({ path, message: `${detail}: it would take requests from it; reword it` });
    else if ((action && reading.confidence >= warnConfidence) || nearest.similarity >= warnSimilarity)
      warnings.push({ path, message: detail });
  });
}
