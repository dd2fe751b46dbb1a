import type { z } from 'zod';
import type { AnyOperationContract } from './contract.ts';
import type { Queryable } from './queryable.ts';

/** Whether an operation only looks (`read`) or changes something in the system (`write`). */
export type Effect = 'read' | 'write';

/**
 * Who a call acts for. Built by the API/eval runner from the verified session — never from model
 * output. `customer` is null for an anonymous visitor.
 */
export interface CallerSession {
  conversationId: string | null;
  actor: 'agent' | 'human' | 'system';
  /** The human agent's id when `actor` is 'human'. */
  actorId?: string;
  customer: {
    contactId: string;
    accountId: string;
    verified: boolean;
    /**
     * Not verified, but an email from the contact's own address passed aligned DMARC: enough to read
     * the contact's own records, never to write.
     */
    mailboxProven?: boolean;
    /** CRM tier of the account (free … enterprise), for segment rules. */
    tier?: string;
  } | null;
}

/** What an operation's `run` receives besides its input. */
export interface OperationContext {
  session: CallerSession;
  /** The clock the connectors see (the eval scenario's `now`, or real time). */
  now(): Date;
  signal: AbortSignal;
  /** Set for writes: the key this attempt runs under (vendors that support it get it passed through). */
  idempotencyKey?: string;
  /** The installation's policy numbers (each kind reads its own, e.g. billing's refund window). */
  policy: PolicyNumbers;
}

/**
 * Named numbers of the installation's policy, overridable per eval world. Core knows none of them:
 * each connector kind declares and defaults its own (`ConnectorDefinition.policyNumbers`, e.g.
 * billing's `auto_refund_limit_cents` and `refund_window_days` in `connectors/billing/policy.ts`),
 * and action limits refer to them by name (`max: { policy: 'auto_refund_limit_cents' }`).
 */
export type PolicyNumbers = Readonly<Record<string, number>>;

/**
 * How an input names records that belong to a customer. The pipeline resolves each record's owning
 * account and refuses the call (`forbidden`) unless it is the session's account.
 */
export interface OwnershipCheck<Input> {
  /** Returns the account id that owns the record the input names, or null when it does not exist. */
  ownerOf(input: Input, db: Queryable): Promise<string | null>;
}

/** One operation of a connector: schemas, effect, idempotency, scopes, limits and the work itself. */
export interface OperationDefinition<Input = unknown, Output = unknown> {
  name: string;
  description: string;
  effect: Effect;
  input: z.ZodType<Input>;
  output: z.ZodType<Output>;
  /** Scopes the connector's credentials must grant. */
  scopes: string[];
  timeoutMs: number;
  /**
   * For writes: the natural key of the effect, derived from the input (e.g. `refund:pay_2:9900`),
   * combined by the pipeline with the conversation into the idempotency key.
   */
  idempotencyKey?: (input: Input) => string;
  /** The input field that holds the customer's own contact/account id; the pipeline fills it from the session. */
  customerKey?: { field: string; from: 'contactId' | 'accountId' };
  /** Ownership checks for records the input names (invoice, payment, ticket, booking…). */
  ownership?: OwnershipCheck<Input>;
  /** True when an action limit of the policy can turn this call into `approval_required`. */
  mayNeedApproval?: boolean;
  /**
   * Every call needs a person's approval first (`approval_required` until it is re-run with
   * `options.approval`), whatever the policy's limits: an admin declared it so for a custom
   * connector's write. Segment rules still apply.
   */
  alwaysNeedsApproval?: boolean;
  /** Reads only: the last good result may be served (marked stale) when the system is down. */
  cacheable?: boolean;
  /** Customers who are not verified may call this operation (knowledge search, ticket creation). */
  allowUnverified?: boolean;
  run(input: Input, context: OperationContext): Promise<Output>;
  /**
   * For writes whose result carries a bearer secret (a signed link): what the idempotency ledger keeps
   * instead of the result, and how a replay rebuilds the very same result from it. The ledger is read
   * by admins and lands in backups, so it must never hold what lets someone act as the customer
   * (docs/connectors-core.md, "Idempotency").
   */
  ledger?: LedgerForm<Output>;
  /** The contract this operation implements (set by `implement`); typed calls must name this very contract. */
  contract?: AnyOperationContract;
}

/** How a write's result is kept in the idempotency ledger, and rebuilt from it on a replay. */
export interface LedgerForm<Output> {
  /** What is stored: the result without its secret. */
  keep(output: Output): unknown;
  /** The result a replay returns, rebuilt from what `keep` stored (deterministically: same secret, same value). */
  rebuild(kept: unknown): Output;
}

/** A system Switchboard talks to: its config, a health call and its operations. */
export interface ConnectorDefinition {
  id: string;
  title: string;
  /** Scopes granted by the current credentials/config. */
  grantedScopes: string[];
  /** Who-am-I / health call, for health checks and the admin "test connection". */
  check(signal: AbortSignal): Promise<{ ok: true; detail: string } | { ok: false; detail: string }>;
  operations: Record<string, AnyOperationDefinition>;
  /** Defaults of the policy numbers this connector's limits and operations use; the gateway's `policy` overrides them. */
  policyNumbers?: PolicyNumbers;
}

/** An operation of any input/output types, as a connector's operation table holds them. */
// biome-ignore lint/suspicious/noExplicitAny: the table mixes operations of different types; each call is checked by its zod schemas.
export type AnyOperationDefinition = OperationDefinition<any, any>;

/** Helper that keeps the input/output types of an operation tied to its schemas. */
export function defineOperation<Input, Output>(
  operation: OperationDefinition<Input, Output>,
): OperationDefinition<Input, Output> {
  return operation;
}
