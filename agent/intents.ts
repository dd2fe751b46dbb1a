/** The intent taxonomy (docs/product.md, "Intents and what resolved means"). */
export const intents = [
  'billing.duplicate_charge',
  'billing.refund_request',
  'billing.invoice_copy',
  'billing.payment_failed',
  'billing.change_plan',
  'billing.cancel_subscription',
  'calendar.book_call',
  'calendar.reschedule_call',
  'calendar.cancel_call',
  'ticket.report_bug',
  'ticket.status',
  'account.update_contact',
  'account.access',
  'privacy.data_request',
  'kb.question',
  'human.request',
  'other',
] as const;

export type Intent = (typeof intents)[number];

export const isIntent = (value: string): value is Intent => (intents as readonly string[]).includes(value);

/**
 * An intent a declarative procedure declares (agent/procedures/declarative/): `custom.<procedure id>`.
 * Built-in intents stay the closed `Intent` union; only what must carry either (the graph state, the
 * reasoner's ranking, the procedure registry) takes `IntentId`.
 */
export type DeclaredIntent = `custom.${string}`;

export type IntentId = Intent | DeclaredIntent;
