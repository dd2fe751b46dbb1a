import { z } from 'zod';

/** A JSON Schema as zod writes it (only the parts walked here). */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** An operation's schema as JSON Schema, or null when zod cannot describe it (then nothing is checked). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema | null {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return null;
  }
}

const branches = (schema: JsonSchema): JsonSchema[] =>
  [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].filter(
    (branch) => branch.type !== 'null',
  );

/** The fields an object schema names (of every branch of a union), or null when it names none. */
export function fieldsOf(schema: JsonSchema): string[] | null {
  const own = Object.keys(schema.properties ?? {});
  const fromBranches = branches(schema).flatMap((branch) => fieldsOf(branch) ?? []);
  const all = [...new Set([...own, ...fromBranches])];
  return all.length > 0 ? all : null;
}

/**
 * Whether a path of fields (`shipment.carrier`, `items.0.sku`) exists in a schema: `missing` names
 * the first part that does not (with the fields that do), `unknown` when the schema does not say
 * (a free-form object, an unrepresentable type).
 */
export function checkPath(
  schema: JsonSchema,
  parts: string[],
): { result: 'exists' | 'unknown' } | { result: 'missing'; at: string; known: string[] } {
  let current: JsonSchema = schema;
  for (const [index, part] of parts.entries()) {
    const union = branches(current);
    if (!current.properties && !current.items && union.length > 0) {
      const found = union.map((branch) => checkPath(branch, parts.slice(index)));
      if (found.some((item) => item.result === 'exists')) return { result: 'exists' };
      if (found.some((item) => item.result === 'unknown')) return { result: 'unknown' };
      return found[0] ?? { result: 'unknown' };
    }
    if (current.items && /^\d+$/.test(part)) {
      current = current.items;
      continue;
    }
    const next = current.properties?.[part];
    if (next) {
      current = next;
      continue;
    }
    if (!current.properties || current.additionalProperties) return { result: 'unknown' };
    return {
      result: 'missing',
      at: parts.slice(0, index + 1).join('.'),
      known: Object.keys(current.properties),
    };
  }
  return { result: 'exists' };
}
