import { billing } from '../../connectors/contracts.ts';
import { invoiceByFacts } from './invoice-by-facts.ts';
import { ask, money, mustRead, outputOf, type Procedure, writeAction } from './procedure.ts';
import { alreadyRefundedText } from './refund-outcome.ts';

/** Refund issued per policy (window, limit) or declined citing the policy; above the limit → approval. */
export const refundRequestProcedure: Procedure = {
  intent: 'billing.refund_request',
  title: 'a refund',
  verification: 'required',
  slots: {
    invoice_id: { prompt: 'Which invoice would you like refunded (e.g. INV-10234)?' },
  },
  async plan(context) {
    // "the $150 charge from last month": the invoice found by its facts, not asked for again.
    const invoiceId = context.slots.invoice_id ?? (await invoiceByFacts(context));
    if (!invoiceId) return ask(this, 'invoice_id');
    const { data: invoice } = await mustRead(context, billing.getInvoice, { invoice_id: invoiceId });
    const paid = invoice.payments.filter(
      (payment) => payment.status === 'succeeded' || payment.status === 'partially_refunded',
    );
    if (paid.length === 0) {
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `Invoice ${invoice.id} has no successful payment to refund (its status is ${invoice.status}).`,
      };
    }
    const { data: duplicates } = await mustRead(context, billing.findDuplicateCharges, {
      invoice_id: invoice.id,
    });
    const windowStart = context.now.getTime() - context.policy.refund_window_days * 86_400_000;
    const duplicate = duplicates.duplicates.find((item) => item.within_refund_window);
    const payment = duplicate ? paid.find((item) => item.id === duplicate.payment_id)! : paid.at(-1)!;
    if (new Date(payment.created_at).getTime() < windowStart) {
      return {
        kind: 'reply',
        outcome: 'answered',
        text: `I'm sorry — invoice ${invoice.id} was charged on ${payment.created_at.slice(0, 10)}, which is outside our ${context.policy.refund_window_days}-day refund window, so it isn't eligible for a refund under our refund policy. If something went wrong with the service, a colleague can look at an account credit — just ask for a person.`,
      };
    }
    const requested = Number(context.slots.amount_cents ?? 0);
    const amount = requested > 0 && requested < payment.amount_cents ? requested : payment.amount_cents;
    const above = amount > context.policy.auto_refund_limit_cents;
    return {
      kind: 'confirm',
      prompt: `Invoice ${invoice.id} was charged ${money(payment.amount_cents)} on ${payment.created_at.slice(0, 10)}, inside our ${context.policy.refund_window_days}-day refund window. Shall I refund ${money(amount)} to your card?${above ? ` Refunds above ${money(context.policy.auto_refund_limit_cents)} are approved by our billing team, so a colleague will review it first.` : ''}`,
      actions: [
        writeAction(
          billing.refundPayment,
          {
            payment_id: payment.id,
            amount_cents: amount,
            reason: duplicate ? 'duplicate_charge' : 'requested_by_customer',
          },
          `refund ${money(amount)} of payment ${payment.id} (invoice ${invoice.id})`,
        ),
      ],
    };
  },
  complete(_context, results) {
    const output = outputOf(results, billing.refundPayment);
    if (output.earlier_refund) return { text: alreadyRefundedText([output]) };
    const amount = money(output.amount_cents);
    return {
      text: `Done — I've refunded ${amount} for invoice ${output.invoice_id}. It goes back to your card and usually shows up within 5–10 business days. I've emailed you a confirmation.`,
      email: {
        template: 'refund_issued',
        variables: {
          amount_cents: output.amount_cents,
          invoice_id: output.invoice_id,
          payment_id: output.payment_id,
          refund_id: output.refund_id,
          reason: 'Refund request',
        },
      },
    };
  },
};
