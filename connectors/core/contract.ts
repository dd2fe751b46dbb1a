import type { z } from 'zod';
import type { AnyOperationDefinition, Effect, OperationDefinition } from './definition.ts';

/**
 * What a connector kind promises about one operation, whichever backend serves it (the built-in
 * database today; Stripe, HubSpot, Zendesk or Google later): the connector kind and operation name
 * (the strings the database, audit rows, faults and policies keep), the zod input/output schemas,
 * the effect, the natural idempotency key of a write and how the customer is bound from the session.
 * Callers name operations only through these descriptors (`gateway.call(session, billing.refundPayment, …)`),
 * so the input is checked by the compiler and the output type follows from the schema the pipeline
 * validates the backend's answer with.
 */
export interface OperationContract<
  In extends z.ZodType = z.ZodType,
  Out extends z.ZodType = z.ZodType,
  CustomerField extends string = never,
> {
  readonly connector: string;
  readonly name: string;
  readonly description: string;
  readonly effect: Effect;
  readonly input: In;
  readonly output: Out;
  /** For writes: the natural key of the effect (e.g. `refund:pay_2:9900`); the pipeline adds the conversation. */
  readonly idempotencyKey?: (input: z.output<In>) => string;
  /** The input field the pipeline fills from the session (the caller may leave it out). */
  readonly customerKey?: { field: CustomerField; from: 'contactId' | 'accountId' };
  readonly mayNeedApproval?: boolean;
  readonly cacheable?: boolean;
  readonly allowUnverified?: boolean;
}

/** Any contract, as a registry or a stored write's resolution holds them. */
// biome-ignore lint/suspicious/noExplicitAny: contracts of different schemas in one table; each call is checked by its own.
export type AnyOperationContract = OperationContract<any, any, any>;

/** What a caller passes: the schema's input, the session-bound customer field optional. */
export type ContractInput<C> =
  C extends OperationContract<infer In, z.ZodType, infer Field>
    ? DistributiveOptional<z.input<In>, Field>
    : never;

/** What a successful call returns: the output schema's parsed type. */
export type ContractOutput<C> =
  C extends OperationContract<z.ZodType, infer Out, string> ? z.output<Out> : never;

type DistributiveOptional<T, K extends string> = T extends unknown
  ? [K] extends [never]
    ? T
    : Omit<T, K & keyof T> & Partial<Pick<T, K & keyof T>>
  : never;

/** Declares one operation of a connector kind (`connectors/<kind>/contract.ts`). */
export function defineContract<
  In extends z.ZodType,
  Out extends z.ZodType,
  CustomerField extends string = never,
>(contract: OperationContract<In, Out, CustomerField>): OperationContract<In, Out, CustomerField> {
  return Object.freeze(contract);
}

/** What a backend supplies for an operation of a contract: its scopes, limits, ownership checks and the work. */
export type OperationImplementation<In extends z.ZodType, Out extends z.ZodType> = Pick<
  OperationDefinition<z.output<In>, z.output<Out>>,
  'scopes' | 'timeoutMs' | 'ownership' | 'run' | 'ledger'
>;

/** A backend's operation built from a contract: name, schemas, effect and keys come from the contract. */
export function implement<In extends z.ZodType, Out extends z.ZodType, CustomerField extends string>(
  contract: OperationContract<In, Out, CustomerField>,
  implementation: OperationImplementation<In, Out>,
): OperationDefinition<z.output<In>, z.output<Out>> {
  const { connector: _connector, ...declared } = contract;
  return {
    ...(declared as unknown as Omit<
      OperationDefinition<z.output<In>, z.output<Out>>,
      keyof OperationImplementation<In, Out>
    >),
    ...implementation,
    contract,
  };
}

/** Every operation of a connector kind, keyed by its contract (checks a backend serves all of them). */
export function operationsOf(
  contracts: Record<string, AnyOperationContract>,
  operations: AnyOperationDefinition[],
  connector: string,
): Record<string, AnyOperationDefinition> {
  const table: Record<string, AnyOperationDefinition> = {};
  for (const operation of operations) {
    if (operation.contract && operation.contract.connector !== connector)
      throw new Error(
        `operation ${operation.name} implements a ${operation.contract.connector} contract, not ${connector}`,
      );
    table[operation.name] = operation;
  }
  for (const contract of Object.values(contracts)) {
    if (contract.connector !== connector) continue;
    const operation = table[contract.name];
    if (!operation)
      throw new Error(`the ${connector} backend does not implement ${connector}.${contract.name}`);
    if (operation.contract !== contract)
      throw new Error(`${connector}.${contract.name} is not built from its contract (use implement())`);
  }
  return table;
}

/** Looks a stored write ({connector, operation}) up among contracts; null when no contract declares it. */
export function createContractRegistry(kinds: Array<Record<string, AnyOperationContract>>) {
  const byName = new Map<string, AnyOperationContract>();
  for (const kind of kinds)
    for (const contract of Object.values(kind))
      byName.set(`${contract.connector}.${contract.name}`, contract);
  return {
    resolve(connector: string, operation: string): AnyOperationContract | null {
      return byName.get(`${connector}.${operation}`) ?? null;
    },
    all(): AnyOperationContract[] {
      return [...byName.values()];
    },
  };
}
