import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The mask a one-time code is stored as (db/one-time-codes.ts `maskedCode`). */
const maskedCode = '••••••';

/** The id of a pending confirmation (`pendingActionId`). */
export const actionIdSchema = z.string().regex(/^act_[0-9a-f]{16}$/, 'not an action id');

/**
 * What the customer did in one turn. A button press is never turned into text that is classified
 * again: the graph routes on `kind` (agent/graph.ts), and only a `message` reaches the reasoner.
 *
 * - `message`: free text (typed in the chat, an email, the terminal chat).
 * - `confirm` / `decline`: the answer to the pending confirmation whose id is `actionId` (sent with
 *   the `confirmation-request` event); another id is stale and runs nothing.
 * - `verify_email`: "send a one-time code to my account email".
 * - `verify_code`: the emailed 6-digit code. Once stored, `code` is the mask and only its hash is
 *   kept (the message's `code_hashes`): the plain code is never stored or checkpointed.
 */
export const turnInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), text: z.string().min(1).max(4000) }),
  z.object({ kind: z.literal('confirm'), actionId: actionIdSchema }),
  z.object({ kind: z.literal('decline'), actionId: actionIdSchema }),
  z.object({ kind: z.literal('verify_email'), email: z.email().max(320) }),
  z.object({
    kind: z.literal('verify_code'),
    code: z.union([z.string().regex(/^\d{6}$/, 'the code has 6 digits'), z.literal(maskedCode)]),
  }),
]);

export type TurnInput = z.infer<typeof turnInputSchema>;

/** A plain text is a `message`. */
export const asTurnInput = (input: TurnInput | string): TurnInput =>
  typeof input === 'string' ? { kind: 'message', text: input } : input;

/**
 * The turn in the customer's own words: what the transcript (stored message, console, evals) shows
 * for a button press. Never read back to decide anything.
 */
export function customerWords(input: TurnInput): string {
  switch (input.kind) {
    case 'message':
      return input.text;
    case 'confirm':
      return 'Yes, please go ahead.';
    case 'decline':
      return "No, please don't do that.";
    case 'verify_email':
      return `Please verify me. My account email is ${input.email}`;
    case 'verify_code':
      return input.code;
  }
}

/**
 * The input as a stored message keeps it (metadata `input`): a message is its stored body (codes in
 * it masked), so it keeps none (`null`); a code is kept only masked, its hash beside it.
 */
export function storedInput(input: TurnInput): Exclude<TurnInput, { kind: 'message' }> | null {
  if (input.kind === 'message') return null;
  if (input.kind === 'verify_code') return { kind: 'verify_code', code: maskedCode };
  return input;
}

/** Only what the customer is shown of a pending write goes into its id. */
export interface ConfirmableAction {
  connector: string;
  operation: string;
  input: Record<string, unknown>;
}

/** JSON with object keys sorted, so equal actions always hash alike. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The id of a confirmation: a hash of the writes it asks for (connector, operation, input), so the
 * same request always has the same id and any change to it — another amount, another write — makes
 * an answer to the old one stale.
 */
export function pendingActionId(actions: readonly ConfirmableAction[]): string {
  const canonical = stableJson(
    actions.map(({ connector, operation, input }) => ({ connector, operation, input })),
  );
  return `act_${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}
