/**
 * Stripe's request encoding (https://docs.stripe.com/api, "Request body"): form-encoded pairs with
 * bracket notation — `metadata[key]=v`, `items[0][price]=p`, `expand[]=payments` — in the query of a
 * GET and the `application/x-www-form-urlencoded` body of a POST. Objects keyed 0, 1, … are arrays.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

export function parseForm(text: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) throw new Error(`malformed parameter name ${key}`);
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1]!)];
    let node: Record<string, FormValue> = root;
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1;
      const name = segment === '' ? String(Object.keys(node).length) : segment;
      if (last) {
        node[name] = value;
      } else {
        const next = node[name];
        if (next === undefined) node[name] = {};
        else if (typeof next === 'string') throw new Error(`parameter ${key} mixes a value and an object`);
        node = node[name] as Record<string, FormValue>;
      }
    }
  }
  return arrays(root) as Record<string, FormValue>;
}

function arrays(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted = Object.fromEntries(keys.map((key) => [key, arrays(value[key]!)]));
  if (keys.length > 0 && keys.every((key, index) => key === String(index)))
    return keys.map((key) => converted[key]!);
  return converted;
}
