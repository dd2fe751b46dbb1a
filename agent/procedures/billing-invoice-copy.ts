import { billing } from '../../connectors/contracts.ts';
import { invoiceByFacts } from './invoice-by-facts.ts';
import { ask, money, mustRead, type Procedure } from './procedure.ts';

const latest = /\b(last|latest|most recent|recent|this month'?s?|current|newest)\b/i;

/** The right invoice emailed to the verified contact. */
export const invoiceCopyProcedure: Procedure = {
  intent: 'billing.invoice_copy',
  title: 'a copy of an invoice',
  verification: 'required',
  slots: {
    invoice_id: { prompt: 'Which invoice would you like a copy of (e.g. INV-10234)? Or say "the latest".' },
  },
  async plan(context) {
    // Documents go to the address on file only: an address named as where to send it is someone
    // else's mailbox (issue #19, pattern 6), and a code is never sent there to "prove" it.
    const elsewhere = context.slots.email?.toLowerCase();
    if (elsewhere && context.customer && elsewhere !== context.customer.email.toLowerCase())
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `For your security I can only email invoices to the address on file for your account (${context.customer.email}). Once you have it, you're welcome to forward it.`,
      };
    let invoiceId = context.slots.invoice_id ?? (await invoiceByFacts(context));
    if (!invoiceId) {
      if (!latest.test(context.message)) return ask(this, 'invoice_id');
      const { data } = await mustRead(context, billing.listInvoices, {
        limit: 1,
      });
      if (data.invoices.length === 0)
        return {
          kind: 'reply',
          outcome: 'answered',
          text: 'I could not find any invoices on your account yet.',
        };
      invoiceId = data.invoices[0]!.id;
    }
    const { data: invoice } = await mustRead(context, billing.getInvoice, {
      invoice_id: invoiceId,
    });
    return {
      kind: 'send',
      text: `I've emailed a copy of invoice ${invoice.id} (${money(invoice.amount_cents)}, issued ${invoice.issued_at}) to ${context.customer?.email ?? 'your address on file'}.`,
      email: {
        template: 'invoice_copy',
        variables: {
          invoice_id: invoice.id,
          amount_cents: invoice.amount_cents,
          issued_at: invoice.issued_at,
          status: invoice.status,
          ...(invoice.due_at ? { due_at: invoice.due_at } : {}),
          ...(invoice.description ? { description: invoice.description.slice(0, 200) } : {}),
        },
      },
    };
  },
};
