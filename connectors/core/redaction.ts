/**
 * Field allow-lists and redaction over JSON values. A path names object members with dots and
 * array items with `[]`: `email`, `owner.email`, `contacts[].email`, `[].email` (root array).
 */

/** Which output fields may pass (`allow`, when set) and which never do (`redact`). */
export interface FieldRules {
  allow?: string[];
  redact?: string[];
}

interface PathTree {
  /** The whole value at this node is selected. */
  terminal: boolean;
  /** Members of an object. */
  members: Map<string, PathTree>;
  /** Items of an array. */
  items?: PathTree;
}

const emptyTree = (): PathTree => ({ terminal: false, members: new Map() });

function buildTree(paths: string[]): PathTree {
  const root = emptyTree();
  for (const path of paths) {
    let node = root;
    for (const segment of parsePath(path)) {
      if (segment === '[]') {
        node.items ??= emptyTree();
        node = node.items;
      } else {
        let next = node.members.get(segment);
        if (!next) {
          next = emptyTree();
          node.members.set(segment, next);
        }
        node = next;
      }
    }
    node.terminal = true;
  }
  return root;
}

/** Splits `contacts[].email` into `['contacts', '[]', 'email']`. */
export function parsePath(path: string): string[] {
  const segments: string[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\])*)$/.exec(part);
    if (!match) throw new Error(`Invalid field path "${path}": use dots and [] only (e.g. contacts[].email)`);
    if (match[1]) segments.push(match[1]);
    for (let index = 0; index < (match[2] ?? '').length / 2; index++) segments.push('[]');
  }
  if (segments.length === 0) throw new Error(`Invalid field path "${path}": empty`);
  return segments;
}

function pick(value: unknown, tree: PathTree): unknown {
  if (tree.terminal) return value;
  if (Array.isArray(value)) return tree.items ? value.map((item) => pick(item, tree.items!)) : [];
  if (value === null || typeof value !== 'object') return undefined;
  const picked: Record<string, unknown> = {};
  for (const [key, child] of tree.members) {
    if (!Object.hasOwn(value, key)) continue;
    const member = pick((value as Record<string, unknown>)[key], child);
    if (member !== undefined) picked[key] = member;
  }
  return picked;
}

function remove(value: unknown, tree: PathTree): unknown {
  if (tree.terminal) return undefined;
  if (Array.isArray(value)) return tree.items ? value.map((item) => remove(item, tree.items!)) : value;
  if (value === null || typeof value !== 'object') return value;
  const kept: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, child] of tree.members) {
    if (!Object.hasOwn(kept, key)) continue;
    const member = remove(kept[key], child);
    if (member === undefined) delete kept[key];
    else kept[key] = member;
  }
  return kept;
}

/** Keeps only allowed fields (when an allow-list is set), then drops redacted ones. Never mutates. */
export function applyFieldRules<T>(value: T, rules: FieldRules | undefined): T {
  if (!rules) return value;
  let result: unknown = value;
  if (rules.allow) result = pick(result, buildTree(rules.allow));
  if (rules.redact?.length) result = remove(result, buildTree(rules.redact));
  return result as T;
}

/** Drops only the redacted paths (used on inputs before they reach the audit row). */
export function applyRedactions<T>(value: T, redact: string[] | undefined): T {
  return redact?.length ? (remove(value, buildTree(redact)) as T) : value;
}

/** Every string/number found at the given paths (to scrub them out of error messages). */
export function valuesAt(value: unknown, paths: string[] | undefined): string[] {
  if (!paths?.length) return [];
  const found: string[] = [];
  const visit = (current: unknown, segments: string[]): void => {
    if (segments.length === 0) {
      if (typeof current === 'string' || typeof current === 'number') found.push(String(current));
      else if (current !== null && typeof current === 'object') {
        for (const member of Object.values(current)) visit(member, []);
      }
      return;
    }
    const [head, ...rest] = segments;
    if (head === '[]') {
      if (Array.isArray(current)) for (const item of current) visit(item, rest);
    } else if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
      visit((current as Record<string, unknown>)[head!], rest);
    }
  };
  for (const path of paths) visit(value, parsePath(path));
  return found;
}

// One-time codes and signed links (the payment-update URL carries a token) are secrets too.
const secretKeyPattern =
  /pass(word)?|secret|token|api[-_]?key|authorization|credential|private[-_]?key|^code$|^otp$|^url$/i;

// A signed link pasted into any text (a free-text field, an error message that quotes a URL) still
// carries its secret in the query string: the value of such a parameter is replaced wherever it occurs.
const secretParamPattern =
  /([?&](?:token|access_token|refresh_token|code|sig|signature|key|api_key|secret)=)[^&#\s"'<>]+/gi;

/** Replaces the values of secret-looking URL query parameters (`?token=…`) in a text with `[redacted]`. */
export function redactSecretParams(text: string): string {
  return text.replace(secretParamPattern, '$1[redacted]');
}

/**
 * Removes members whose names look like secrets, at any depth, and the secrets of signed URLs
 * inside any string (audit details, log lines).
 */
export function dropSecretKeys(value: unknown): unknown {
  if (typeof value === 'string') return redactSecretParams(value);
  if (Array.isArray(value)) return value.map(dropSecretKeys);
  if (value === null || typeof value !== 'object') return value;
  const kept: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (!secretKeyPattern.test(key)) kept[key] = dropSecretKeys(member);
  }
  return kept;
}

/**
 * Replaces each listed value (at least 3 characters) in `message` with `[redacted]`, and the secrets
 * of signed URLs quoted in it.
 */
export function scrubMessage(message: string, values: string[]): string {
  let scrubbed = redactSecretParams(message);
  for (const value of values) {
    if (value.length >= 3) scrubbed = scrubbed.split(value).join('[redacted]');
  }
  return scrubbed;
}
