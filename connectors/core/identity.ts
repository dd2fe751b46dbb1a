import type { AnyOperationDefinition, CallerSession } from './definition.ts';
import { ConnectorError } from './errors.ts';
import type { Queryable } from './queryable.ts';

/**
 * Checks who may call `operation` and fills its customer key from the verified session. Throws a
 * `forbidden` ConnectorError; the returned input is a copy.
 */
export function bindIdentity(
  session: CallerSession,
  operation: AnyOperationDefinition,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const bindsCustomer = operation.customerKey !== undefined || operation.ownership !== undefined;
  const customer = session.customer;
  const systemBypass = session.actor === 'system' && !bindsCustomer;
  if (!systemBypass && !operation.allowUnverified) {
    if (!customer) throw new ConnectorError('forbidden', `${operation.name} needs an identified customer`);
    const mayRead = operation.effect === 'read' && customer.mailboxProven === true;
    if (!customer.verified && !mayRead)
      throw new ConnectorError('forbidden', `${operation.name} needs a verified customer`);
  }
  if (!operation.customerKey) return { ...input };
  const { field, from } = operation.customerKey;
  if (!customer) {
    // An anonymous visitor may call an operation open to them, but never name a customer record.
    if (!operation.allowUnverified)
      throw new ConnectorError('forbidden', `${operation.name} needs an identified customer`);
    if (input[field] !== undefined && input[field] !== null) {
      throw new ConnectorError(
        'forbidden',
        `an anonymous visitor cannot act for ${field} ${String(input[field])}`,
      );
    }
    return { ...input };
  }
  const own = customer[from];
  const given = input[field];
  if (given !== undefined && given !== null && given !== own) {
    throw new ConnectorError(
      'forbidden',
      `${field} must be the caller's own ${from === 'accountId' ? 'account' : 'contact'}`,
    );
  }
  return { ...input, [field]: own };
}

/** Refuses the call unless every record the input names belongs to the session's account. */
export async function checkOwnership(
  session: CallerSession,
  operation: AnyOperationDefinition,
  input: unknown,
  db: Queryable,
): Promise<void> {
  if (!operation.ownership) return;
  const customer = session.customer;
  if (!customer) throw new ConnectorError('forbidden', `${operation.name} needs an identified customer`);
  const owner = await operation.ownership.ownerOf(input, db);
  if (owner === null) throw new ConnectorError('not_found', 'the record does not exist');
  if (owner !== customer.accountId)
    throw new ConnectorError('forbidden', "the record does not belong to the caller's account");
}
