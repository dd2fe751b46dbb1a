import { money } from '../procedure.ts';

/**
 * The templates of a declarative procedure: `{{ slots.order_id }}`, `{{ steps.order.status }}`,
 * `{{ customer.name }}`, and one filter, `{{ steps.order.total_cents | money }}` ($12.50). Nothing
 * else runs in a template: no code, no expressions, only fields.
 */

const placeholder = /\{\{\s*([^{}|]+?)\s*(?:\|\s*([a-z]+)\s*)?\}\}/g;
const exactPlaceholder = /^\{\{\s*([^{}|]+?)\s*(?:\|\s*([a-z]+)\s*)?\}\}$/;

export const filters = ['money'] as const;

/** What a template can name: the slots, the outputs of the steps run so far, the customer. */
export interface TemplateScope {
  slots: Record<string, string | number>;
  steps: Record<string, unknown>;
  customer: { name: string; email: string; account_name: string } | null;
}

/** The references of a template (`steps.order.status`), with the filter each uses. */
export function references(template: string): Array<{ path: string; filter: string | null }> {
  return [...template.matchAll(placeholder)].map((match) => ({
    path: match[1]!.trim(),
    filter: match[2] ?? null,
  }));
}

/** The value a path names in the scope (undefined when any part is missing). */
export function lookup(scope: TemplateScope, path: string): unknown {
  let value: unknown = scope;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function show(value: unknown, filter: string | null): string {
  if (filter === 'money' && typeof value === 'number') return money(value);
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The template with every reference filled in (a missing field reads as empty). */
export function render(template: string, scope: TemplateScope): string {
  return template
    .replace(placeholder, (_whole, path: string, filter: string | undefined) =>
      show(lookup(scope, path.trim()), filter ?? null),
    )
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/**
 * An operation input's value: a string that is one reference keeps the referenced value's type (a
 * number stays a number); any other string is rendered; literals are kept.
 */
export function resolveInput(value: string | number | boolean | null, scope: TemplateScope): unknown {
  if (typeof value !== 'string') return value;
  const exact = value.trim().match(exactPlaceholder);
  if (exact && !exact[2]) return lookup(scope, exact[1]!.trim());
  return render(value, scope);
}
