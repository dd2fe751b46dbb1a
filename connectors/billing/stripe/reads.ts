import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import { refundWindowEnd } from '../payment-view.ts';
import {
  invoiceIndex,
  invoiceOfCharge,
  invoiceRefOf,
  isoOf,
  namesInvoice,
  paymentRefsOf,
  paymentStatusOf,
  toInvoiceSummary,
  toPaymentView,
  toSubscriptionView,
} from './mapping.ts';
import {
  chargeOwnership,
  invoiceCustomer,
  ownedByCustomerOf,
  type StripeOperationDeps,
} from './ownership.ts';
import type { StripeCharge, StripeInvoice } from './vendor-schemas.ts';

const dayMs = 86_400_000;

/** A customer's invoices (with their recorded payments) and charges: two list calls, never one per charge. */
async function loadLedger(deps: StripeOperationDeps, customer: string, invoiceLimit?: number) {
  const [invoices, charges] = await Promise.all([
    deps.transport.listInvoices(customer, invoiceLimit),
    deps.transport.listCharges({ customer }),
  ]);
  const index = invoiceIndex(invoices);
  return {
    invoices,
    charges: charges
      .map((charge) => ({ charge, invoiceId: invoiceOfCharge(charge, index) }))
      // Charges outside any invoice (one-off charges) are not payments of the contract.
      .filter((entry): entry is { charge: StripeCharge; invoiceId: string } => entry.invoiceId !== null),
  };
}

const chargesOf = (ledger: Awaited<ReturnType<typeof loadLedger>>, invoice: StripeInvoice) =>
  ledger.charges.filter((entry) => entry.invoiceId === invoiceRefOf(invoice)).map((entry) => entry.charge);

/** The contract id of the ledger's invoice an input names (by number or Stripe id); the input itself when none. */
const ledgerInvoiceRef = (ledger: Awaited<ReturnType<typeof loadLedger>>, reference: string): string => {
  const invoice = ledger.invoices.find((candidate) => namesInvoice(candidate, reference));
  return invoice ? invoiceRefOf(invoice) : reference;
};

/** Ownership of an input that names the (session-bound) account and maybe one of its invoices. */
const accountOrInvoiceOwnership = (deps: StripeOperationDeps) =>
  ownedByCustomerOf<{ account_id?: string; invoice_id?: string }>(deps, async (input) =>
    input.invoice_id ? invoiceCustomer(deps, input.invoice_id) : null,
  );
const withAccountFallback = (deps: StripeOperationDeps) => {
  const byInvoice = accountOrInvoiceOwnership(deps);
  return {
    ownerOf: async (
      input: { account_id?: string; invoice_id?: string },
      db: Parameters<typeof byInvoice.ownerOf>[1],
    ) => (input.invoice_id ? byInvoice.ownerOf(input, db) : (input.account_id ?? null)),
  };
};

/** `billing.get_subscription`: the customer's newest subscription that is not canceled. */
export const createGetSubscription = (deps: StripeOperationDeps) =>
  implement(billing.getSubscription, {
    scopes: ['billing.read'],
    timeoutMs: 10_000,
    async run(input, context) {
      const customer = await deps.binding.customerFor(context.session);
      const subscriptions = await deps.transport.listSubscriptions(customer);
      const current = subscriptions
        .filter(
          (subscription) =>
            subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired',
        )
        .sort((a, b) => b.created - a.created)[0];
      if (!current) throw new ConnectorError('not_found', 'The account has no active subscription.');
      return toSubscriptionView(current, input.account_id);
    },
  });

/** `billing.list_invoices`: the customer's invoices, newest first. */
export const createListInvoices = (deps: StripeOperationDeps) =>
  implement(billing.listInvoices, {
    scopes: ['billing.read'],
    timeoutMs: 10_000,
    async run(input, context) {
      const customer = await deps.binding.customerFor(context.session);
      const ledger = await loadLedger(deps, customer, input.limit);
      return {
        invoices: ledger.invoices.map((invoice) => toInvoiceSummary(invoice, chargesOf(ledger, invoice))),
      };
    },
  });

/** `billing.get_invoice`: one invoice with its charges (by the payment intents it records) and refunds. */
export const createGetInvoice = (deps: StripeOperationDeps) =>
  implement(billing.getInvoice, {
    scopes: ['billing.read'],
    timeoutMs: 10_000,
    ownership: ownedByCustomerOf(deps, (input) => invoiceCustomer(deps, input.invoice_id)),
    async run(input, context) {
      const invoice = await deps.transport.retrieveInvoice(input.invoice_id);
      await deps.binding.requireOwn(context.session, invoice.customer, `invoice ${invoiceRefOf(invoice)}`);
      const charges = (
        await Promise.all(
          paymentRefsOf(invoice).map((ref) =>
            ref.startsWith('ch_')
              ? deps.transport.retrieveCharge(ref).then((charge) => [charge])
              : deps.transport.listCharges({ payment_intent: ref }),
          ),
        )
      )
        .flat()
        .sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
      return {
        ...toInvoiceSummary(invoice, charges),
        account_id: context.session.customer!.accountId,
        refunded_cents: charges.reduce((sum, charge) => sum + charge.amount_refunded, 0),
        payments: charges.map((charge) => ({
          id: charge.id,
          amount_cents: charge.amount,
          status: paymentStatusOf(charge),
          created_at: isoOf(charge.created),
          card_last4: charge.payment_method_details?.card?.last4 ?? null,
        })),
      };
    },
  });

/** `billing.list_payments`: the customer's invoice charges, newest first, maybe of one invoice. */
export const createListPayments = (deps: StripeOperationDeps) =>
  implement(billing.listPayments, {
    scopes: ['billing.read'],
    timeoutMs: 10_000,
    ownership: withAccountFallback(deps),
    async run(input, context) {
      const customer = await deps.binding.customerFor(context.session);
      const ledger = await loadLedger(deps, customer);
      const invoiceRef = input.invoice_id ? ledgerInvoiceRef(ledger, input.invoice_id) : null;
      return {
        payments: ledger.charges
          .filter((entry) => !invoiceRef || entry.invoiceId === invoiceRef)
          .sort((a, b) => b.charge.created - a.charge.created || b.charge.id.localeCompare(a.charge.id))
          .slice(0, input.limit)
          .map((entry) => toPaymentView(entry.charge, entry.invoiceId, context.now(), context.policy)),
      };
    },
  });

/** `billing.get_payment`: one charge, its invoice found through its payment intent. */
export const createGetPayment = (deps: StripeOperationDeps) =>
  implement(billing.getPayment, {
    scopes: ['billing.read'],
    timeoutMs: 10_000,
    ownership: chargeOwnership(deps),
    async run(input, context) {
      const charge = await deps.transport.retrieveCharge(input.payment_id);
      await deps.binding.requireOwn(context.session, charge.customer, `payment ${charge.id}`);
      const invoice = await deps.transport.retrieveInvoice(await invoiceOfChargeById(deps, charge));
      return toPaymentView(charge, invoiceRefOf(invoice), context.now(), context.policy);
    },
  });

/** The invoice a charge paid, or not_found for a charge outside any invoice. */
export async function invoiceOfChargeById(deps: StripeOperationDeps, charge: StripeCharge): Promise<string> {
  const invoices = charge.payment_intent
    ? await deps.transport.invoiceIdsOfPaymentIntent(charge.payment_intent)
    : [];
  const invoiceId = invoices[0];
  if (!invoiceId)
    throw new ConnectorError('not_found', `Payment ${charge.id} is not the payment of an invoice.`);
  return invoiceId;
}

/**
 * `billing.find_duplicate_charges`, the built-in rule over Stripe charges: a succeeded, unrefunded
 * charge repeating an earlier standing charge of the same invoice and amount within 24 hours.
 */
export const createFindDuplicateCharges = (deps: StripeOperationDeps) =>
  implement(billing.findDuplicateCharges, {
    scopes: ['billing.read'],
    timeoutMs: 10_000,
    ownership: withAccountFallback(deps),
    async run(input, context) {
      const customer = await deps.binding.customerFor(context.session);
      const ledger = await loadLedger(deps, customer);
      const invoiceRef = input.invoice_id ? ledgerInvoiceRef(ledger, input.invoice_id) : null;
      const ordered = ledger.charges.sort(
        (a, b) => a.charge.created - b.charge.created || a.charge.id.localeCompare(b.charge.id),
      );
      const now = context.now().getTime();
      const duplicates = [];
      for (const [position, { charge, invoiceId }] of ordered.entries()) {
        if (invoiceRef && invoiceId !== invoiceRef) continue;
        if (charge.status !== 'succeeded' || charge.amount_refunded > 0) continue;
        const original = ordered
          .slice(0, position)
          .find(
            (earlier) =>
              earlier.invoiceId === invoiceId &&
              earlier.charge.amount === charge.amount &&
              earlier.charge.status === 'succeeded' &&
              earlier.charge.amount_refunded < earlier.charge.amount &&
              (charge.created - earlier.charge.created) * 1000 <= dayMs,
          );
        if (!original) continue;
        const windowEnd = refundWindowEnd(new Date(charge.created * 1000), context.policy);
        duplicates.push({
          payment_id: charge.id,
          original_payment_id: original.charge.id,
          invoice_id: invoiceId,
          amount_cents: charge.amount,
          created_at: isoOf(charge.created),
          within_refund_window: now <= windowEnd.getTime(),
          refund_window_ends_at: windowEnd.toISOString(),
        });
      }
      return { duplicates };
    },
  });
