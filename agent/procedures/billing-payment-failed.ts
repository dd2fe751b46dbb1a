import { billing } from '../../connectors/contracts.ts';
import { money, mustRead, outputOf, type Procedure, writeAction } from './procedure.ts';

const explanations: Record<string, string> = {
  card_expired: 'the card on file has expired',
  insufficient_funds: 'the bank declined it for insufficient funds',
  card_declined: 'the card issuer declined it',
  authentication_required: 'the bank asked for extra authentication (3-D Secure) that could not be completed',
};

/** Cause explained, update-payment link emailed, retry scheduled. */
export const paymentFailedProcedure: Procedure = {
  intent: 'billing.payment_failed',
  title: 'fixing a failed payment',
  verification: 'required',
  slots: { payment_id: { prompt: 'Which payment failed (e.g. the invoice number INV-10234)?' } },
  async plan(context) {
    const { data } = await mustRead(context, billing.listPayments, {
      ...(context.slots.invoice_id ? { invoice_id: context.slots.invoice_id } : {}),
      limit: 20,
    });
    const failed = data.payments
      .filter(
        (payment) =>
          payment.status === 'failed' &&
          (!context.slots.payment_id || payment.id === context.slots.payment_id),
      )
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
    const payment = failed[0];
    if (!payment) {
      return {
        kind: 'reply',
        outcome: 'answered',
        text: 'I checked your recent payments and none of them failed — your account is paid up.',
      };
    }
    const cause =
      payment.failure_explanation ?? explanations[payment.failure_reason ?? ''] ?? 'the payment was declined';
    return {
      kind: 'confirm',
      prompt: `Your payment of ${money(payment.amount_cents)} for invoice ${payment.invoice_id} failed because ${cause}. I can email you a secure link to update your card (valid for 24 hours) and schedule a new attempt of the payment. Shall I go ahead?`,
      actions: [
        writeAction(billing.sendPaymentLink, {}, 'create a secure update-payment link for you'),
        writeAction(
          billing.retryPayment,
          { payment_id: payment.id },
          `schedule a retry of payment ${payment.id}`,
        ),
      ],
    };
  },
  complete(context, results) {
    const link = outputOf(results, billing.sendPaymentLink);
    const retry = outputOf(results, billing.retryPayment);
    return {
      text: `Done — I've emailed you a secure link to update your card (valid until ${link.expires_at.slice(0, 16).replace('T', ' ')} UTC) and scheduled a new payment attempt for ${retry.scheduled_for.slice(0, 16).replace('T', ' ')} UTC.`,
      email: {
        template: 'payment_link',
        variables: {
          url: link.url,
          expires_at: link.expires_at,
          retry_at: retry.scheduled_for,
          invoice_id:
            String(results[1]?.action.input.invoice_id ?? context.slots.invoice_id ?? '') || undefined,
        },
      },
    };
  },
};
