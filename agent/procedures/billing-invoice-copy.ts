import { billing } from '../../connectors/contracts.ts';
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
    let invoiceId = context.slots.invoice_id;
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
