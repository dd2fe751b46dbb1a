import type { AnyOperationContract, ContractInput, ContractOutput } from '../../connectors/core/contract.ts';
import type { EscalationReason } from '../escalation-reasons.ts';
import type { Citation, SlotKey } from '../events.ts';
import type { IntentId } from '../intents.ts';

/** The verified customer a procedure acts for (from the session and the CRM, never from the model). */
export interface CustomerProfile {
  contactId: string;
  accountId: string;
  name: string;
  email: string;
  timezone: string;
  tier: string;
  accountName: string;
  /** Proven by a signed identity token or a one-time code: may read and write. */
  verified: boolean;
  /** How `verified` was earned. */
  verifiedBy?: 'token' | 'email_code';
  /**
   * An email from the contact's own address passed aligned DMARC: may read the contact's own records
   * and get documents sent to the address on file, but every write still needs a one-time code.
   */
  mailboxProven?: boolean;
}

/** A write a procedure wants done, with the arguments the customer confirms. */
export interface WriteAction {
  connector: string;
  operation: string;
  input: Record<string, unknown>;
  /** Said to the customer and the human ("refund $99.00 of payment pay_2"). */
  label: string;
}

/** A confirmation email the procedure sends once its writes are done. */
export interface EmailSpec {
  template: string;
  variables: Record<string, unknown>;
  /** Another address than the one on file (only templates that prove or announce an address change). */
  to?: string;
}

/** What a procedure decides for this turn. Plain data: it is kept in the graph's checkpoint. */
export type Plan =
  | { kind: 'ask'; slot: SlotKey; prompt: string }
  | { kind: 'confirm'; prompt: string; actions: WriteAction[] }
  | { kind: 'reply'; text: string; outcome: 'answered' | 'resolved'; citations?: Citation[] }
  /** Only an email to the customer's own address (no system write): sent without asking, e.g. an invoice copy. */
  | { kind: 'send'; text: string; email: EmailSpec }
  /**
   * The request needs more proof first: the account holder's one-time code at the address on file
   * (even in a session verified otherwise), or a code sent to a new address that must come back.
   */
  | { kind: 'prove'; proof: 'account_holder' }
  | { kind: 'prove'; proof: 'new_address'; email: string; prompt: string }
  | {
      kind: 'escalate';
      reason: EscalationReason;
      priority: 'low' | 'normal' | 'high' | 'urgent';
      /** What the customer is told. */
      text: string;
      /** For the human: what happened so far. */
      summary: string;
      /** Writes done before handing over (e.g. the privacy ticket). */
      actions?: WriteAction[];
      /** A help-center question answered too weakly: the articles found, best first. */
      knowledgeCandidates?: string[];
    };

/** A read through the connector pipeline, as a procedure sees it. */
export type ReadOutcome<T> =
  | { ok: true; data: T; stale: boolean; ageSeconds?: number }
  | {
      ok: false;
      failure: 'error' | 'human_required' | 'forbidden' | 'not_found' | 'invalid_input';
      message: string;
    };

/** Answer support from the knowledge base (the local reasoner's "no good answer" threshold included). */
export interface KnowledgeAnswer {
  answerable: boolean;
  confidence: number;
  passages: Array<{ slug: string; title: string; url: string | null; heading: string; content: string }>;
  citations: Citation[];
}

/** What a procedure can use: reads through the pipeline, the knowledge base, the clock and policy. */
export interface ProcedureContext {
  customer: CustomerProfile | null;
  slots: Partial<Record<SlotKey, string>>;
  /** The customer's latest message (e.g. a bug description or a KB question). */
  message: string;
  /** New addresses the customer proved to control in this conversation (lower case). */
  provenAddresses: string[];
  now: Date;
  policy: { auto_refund_limit_cents: number; refund_window_days: number };
  /** A read named by its contract (`billing.getInvoice`): the input is typed, the output is the contract's. */
  read<C extends AnyOperationContract>(
    operation: C,
    input: ContractInput<C>,
  ): Promise<ReadOutcome<ContractOutput<C>>>;
  /**
   * A read named by data (`connector.operation`, as a declarative procedure names it): the same
   * pipeline — identity binding, policy, audit — with the output checked by the operation's own schema.
   */
  readByName(
    connector: string,
    operation: string,
    input: Record<string, unknown>,
  ): Promise<ReadOutcome<Record<string, unknown>>>;
  answer(question: string): Promise<KnowledgeAnswer>;
  /** Meaning-based similarity of a query to texts (`Reasoner.similarity`), when the reasoner has one. */
  similarity?(query: string, texts: string[]): Promise<number[]>;
}

/** A read the procedure cannot do without: its failure hands the conversation to a human. */
export class ReadFailed extends Error {
  override name = 'ReadFailed';
  constructor(
    readonly failure: Exclude<ReadOutcome<unknown>, { ok: true }>,
    readonly what: string,
  ) {
    super(`${what}: ${failure.message}`);
  }
}

/** Reads or throws ReadFailed (the plan node turns it into the right escalation). */
export async function mustRead<C extends AnyOperationContract>(
  context: ProcedureContext,
  operation: C,
  input: ContractInput<C>,
): Promise<{ data: ContractOutput<C>; stale: boolean }> {
  const outcome = await context.read(operation, input);
  if (!outcome.ok) throw new ReadFailed(outcome, `${operation.connector}.${operation.name}`);
  return { data: outcome.data, stale: outcome.stale };
}

/**
 * A write the customer will confirm, named by its contract. The result is plain data (it is kept in the
 * checkpoint and in escalation packets); `execute` resolves it back to the contract.
 */
export function writeAction<C extends AnyOperationContract>(
  operation: C,
  input: ContractInput<C>,
  label: string,
): WriteAction {
  if (operation.effect !== 'write')
    throw new Error(`${operation.connector}.${operation.name} is not a write`);
  return {
    connector: operation.connector,
    operation: operation.name,
    input: input as Record<string, unknown>,
    label,
  };
}

/** A write that was done, with what its system answered. */
export interface WriteResult {
  action: WriteAction;
  output: Record<string, unknown>;
}

/**
 * The outputs of the writes of one contract, in order, typed by its output schema. They were checked
 * against that schema by the pipeline when the call returned (before the installation's field policy
 * hid any fields, so a hidden field reads as absent); procedures never retype them by hand.
 */
export function outputsOf<C extends AnyOperationContract>(
  results: readonly WriteResult[],
  operation: C,
): Array<ContractOutput<C>> {
  return results
    .filter(({ action }) => action.connector === operation.connector && action.operation === operation.name)
    .map(({ output }) => output as ContractOutput<C>);
}

/** The output of the one write of a contract a procedure did (an error when it did none: a bug). */
export function outputOf<C extends AnyOperationContract>(
  results: readonly WriteResult[],
  operation: C,
): ContractOutput<C> {
  const [output] = outputsOf(results, operation);
  if (output === undefined) throw new Error(`no ${operation.connector}.${operation.name} write was done`);
  return output;
}

/** How to ask for a slot. */
export interface SlotSpec {
  prompt: string;
}

/**
 * One intent's procedure (the table in docs/product.md), declared as data plus two functions: `plan` decides the
 * next step from the slots and reads; `complete` says what to tell and email once the writes are done.
 */
export interface Procedure {
  intent: IntentId;
  /** What the customer wants, in words ("a refund of a duplicate charge"). */
  title: string;
  /** `required`: account actions need a verified identity (token or email code). */
  verification: 'required' | 'none';
  slots: Partial<Record<SlotKey, SlotSpec>>;
  /**
   * Reads the procedure's own slots from a message (declarative procedures: slots the reasoner does
   * not know). The plan node merges them into the state before `plan`; `expecting` is the slot asked.
   */
  slotsFrom?(
    message: string,
    context: { now: Date; timezone: string; expecting: SlotKey | null },
  ): Partial<Record<SlotKey, string>>;
  plan(context: ProcedureContext): Promise<Plan>;
  /**
   * When the first confirmed write fails with `conflict` — the world changed between the offer and
   * the customer's yes (another customer took the slot) — plan again from the same slots instead of
   * handing over as if the system were down. Only for procedures whose plan reads the current state
   * and so cannot offer the same thing twice (a taken slot is no longer free).
   */
  replanOnConflict?: boolean;
  complete?(
    context: ProcedureContext,
    results: WriteResult[],
  ): {
    text: string;
    email?: EmailSpec;
    /** Further notices, e.g. to the address an email change replaced. */
    notices?: EmailSpec[];
  };
}

/** Asks for a slot with the procedure's own wording. */
export function ask(procedure: Pick<Procedure, 'slots'>, slot: SlotKey): Plan {
  return {
    kind: 'ask',
    slot,
    prompt: procedure.slots[slot]?.prompt ?? `Could you tell me the ${slot.replace('_', ' ')}?`,
  };
}

/** $1,234.50 */
export const money = (cents: number): string =>
  `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** "Tue, Nov 24, 3:00 PM (Europe/Berlin)" */
export function formatTime(iso: string, timezone: string): string {
  const text = new Date(iso).toLocaleString('en-US', {
    timeZone: timezone,
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
  return `${text} (${timezone})`;
}
