import { money, mustRead, type Procedure } from './procedure.ts';

interface Payment {
  id: string;
  invoice_id: string;
  amount_cents: number;
  status: string;
  failure_reason: string | null;
  failure_explanation?: string | null;
  created_at: string;
}

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
    const { data } = await mustRead<{ payments: Payment[] }>(context, 'billing', 'list_payments', {
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
        {
          connector: 'billing',
          operation: 'send_payment_link',
          input: {},
          label: 'create a secure update-payment link for you',
        },
        {
          connector: 'billing',
          operation: 'retry_payment',
          input: { payment_id: payment.id },
          label: `schedule a retry of payment ${payment.id}`,
        },
      ],
    };
  },
  complete(context, results) {
    const link = results.find((result) => result.action.operation === 'send_payment_link')!.output;
    const retry = results.find((result) => result.action.operation === 'retry_payment')!.output;
    return {
      text: `Done — I've emailed you a secure link to update your card (valid until ${String(link.expires_at).slice(0, 16).replace('T', ' ')} UTC) and scheduled a new payment attempt for ${String(retry.scheduled_for).slice(0, 16).replace('T', ' ')} UTC.`,
      email: {
        template: 'payment_link',
        variables: {
          url: String(link.url),
          expires_at: String(link.expires_at),
          retry_at: String(retry.scheduled_for),
          invoice_id:
            String(results[1]?.action.input.invoice_id ?? context.slots.invoice_id ?? '') || undefined,
        },
      },
    };
  },
};
