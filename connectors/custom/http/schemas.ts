import { z } from 'zod';
import { parsePath } from '../../core/redaction.ts';

/**
 * JSON Schema (as an OpenAPI document writes it) → zod, with zod's own converter
 * (`z.fromJSONSchema`), and the output schema narrowed to an operation's allow-list.
 */

export type JsonSchema = Record<string, unknown>;
export type SchemaDialect = 'openapi-3.0' | 'draft-2020-12';

/** Deepest nesting a declared schema may have (a guard against pathological documents). */
const maxDepth = 40;
/** Most schema nodes one declared schema may have. */
const maxNodes = 20_000;

/**
 * Keywords OpenAPI adds for documentation only; they say nothing about a value, and some
 * converters refuse what they do not know.
 */
const annotationKeywords = [
  'example',
  'examples',
  'xml',
  'externalDocs',
  'discriminator',
  'deprecated',
  'writeOnly',
];

/** A copy without documentation-only keywords; throws on `$ref` (declarations are dereferenced) or excess. */
function plain(value: unknown, depth = 0, budget = { nodes: 0 }): unknown {
  if (++budget.nodes > maxNodes) throw new Error(`more than ${maxNodes} schema nodes`);
  if (depth > maxDepth) throw new Error(`nested deeper than ${maxDepth} levels`);
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1, budget));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (key === '$ref') throw new Error('contains a $ref: declarations hold dereferenced schemas only');
    if (annotationKeywords.includes(key)) continue;
    // `properties` and `enum`/`const` hold data, not keywords: keep their members whatever their names.
    out[key] =
      key === 'enum' || key === 'const' || key === 'default' ? member : plain(member, depth + 1, budget);
  }
  return out;
}

/** The zod schema of a declared JSON Schema (throws when it cannot be converted). */
export function toZod(schema: JsonSchema, dialect: SchemaDialect): z.ZodType {
  return z.fromJSONSchema(plain(schema) as JsonSchema, { defaultTarget: dialect });
}

/** Why a declared JSON Schema cannot be used, or null. */
export function jsonSchemaProblem(schema: JsonSchema, dialect: SchemaDialect): string | null {
  try {
    toZod(schema, dialect);
    return null;
  } catch (error) {
    return `not a usable JSON Schema: ${(error as Error).message}`;
  }
}

interface PathTree {
  terminal: boolean;
  members: Map<string, PathTree>;
  items?: PathTree;
}

function treeOf(paths: string[]): PathTree {
  const root: PathTree = { terminal: false, members: new Map() };
  for (const path of paths) {
    let node = root;
    for (const segment of parsePath(path)) {
      if (segment === '[]') node = node.items ??= { terminal: false, members: new Map() };
      else {
        const next = node.members.get(segment) ?? { terminal: false, members: new Map() };
        node.members.set(segment, next);
        node = next;
      }
    }
    node.terminal = true;
  }
  return root;
}

const combinators = ['allOf', 'anyOf', 'oneOf'] as const;

/** The schema with only the allowed fields; `unknown` collects allowed fields the schema says cannot exist. */
function prune(schema: JsonSchema, node: PathTree, at: string, unknown: string[]): JsonSchema {
  if (node.terminal) return schema;
  const result: JsonSchema = { ...schema };
  const combined = combinators.some((key) => Array.isArray(schema[key]));
  for (const key of combinators) {
    const branches = schema[key];
    if (Array.isArray(branches))
      result[key] = branches.map((branch) => prune(branch as JsonSchema, node, at, []));
  }
  if (node.items) {
    const items = schema.items;
    if (items && typeof items === 'object' && !Array.isArray(items))
      result.items = prune(items as JsonSchema, node.items, `${at}[]`, unknown);
  }
  if (node.members.size > 0) {
    const declared = schema.properties as Record<string, JsonSchema> | undefined;
    const properties: Record<string, JsonSchema> = {};
    for (const [name, child] of node.members) {
      const member = declared?.[name];
      if (member) properties[name] = prune(member, child, `${at}${at ? '.' : ''}${name}`, unknown);
      else {
        if (declared && !combined && schema.additionalProperties === false)
          unknown.push(`${at}${at ? '.' : ''}${name}`);
        properties[name] = {};
      }
    }
    result.properties = properties;
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
    result.required = required.filter((name) => node.members.has(name));
    delete result.additionalProperties;
    delete result.patternProperties;
  }
  return result;
}

/** The response schema narrowed to the allow-list: what the operation's output schema is. */
export function allowedSchema(response: JsonSchema, outputFields: string[]): JsonSchema {
  return prune(response, treeOf(outputFields), '', []);
}

/** Why the allow-list does not fit the response schema (fields it says cannot be there), or null. */
export function outputSchemaProblem(response: JsonSchema, outputFields: string[]): string | null {
  const unknown: string[] = [];
  try {
    prune(response, treeOf(outputFields), '', unknown);
  } catch (error) {
    return (error as Error).message;
  }
  return unknown.length ? `not in the response schema: ${unknown.join(', ')}` : null;
}
