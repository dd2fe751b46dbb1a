import { billing } from './billing/contract.ts';
import { calendar } from './calendar/contract.ts';
import { createContractRegistry } from './core/contract.ts';
import { crm } from './crm/contract.ts';
import { email } from './email/contract.ts';
import { knowledge } from './knowledge/contract.ts';
import { ticketing } from './ticketing/contract.ts';

/**
 * Every connector kind's contract. Callers import the kind they need (`billing.refundPayment`);
 * `contracts` resolves a write kept as plain data (`{connector, operation}` in a checkpoint or an
 * escalation's pending action) back to its descriptor where it is executed.
 */
export { billing, calendar, crm, email, knowledge, ticketing };
export const contracts = createContractRegistry([billing, calendar, crm, email, knowledge, ticketing]);
