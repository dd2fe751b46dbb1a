import { z } from 'zod';
import { escalationReasons } from '../../agent/escalation-reasons.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { type Scenario, type ScenarioIssue, validateScenario } from '../scenario-schema.ts';
import { isWriteOperationName, writeOperations } from '../write-operations.ts';
import { Pseudonymizer, type RecordKind } from './pseudonymize.ts';

/**
 * An escalated conversation as a regression scenario in the eval format (docs/evals.md, "Captured
 * scenarios"). Pure: `read-conversation.ts` reads what the conversation touched; this turns it into a
 * scenario with every personal value replaced and every id remapped, and validates it with the
 * scenario schema so what is stored is exactly what the runner will load.
 *
 * What can reach the scenario is decided here by construction: the world is built only from the
 * records passed in (the reader passes only the verified customer's own records that the
 * conversation's connector calls read or wrote), only the listed fields of each record are copied
 * (no token, hash, key or vault value has a field to travel in), and the customer's messages are
 * passed through `Pseudonymizer.text`, which replaces names, addresses, phone numbers, record ids
 * and anything that looks like a credential.
 */

type Row = Record<string, unknown>;

/** What the conversation touched, as read from the database (real values; never stored as is). */
export interface CapturedConversation {
  id: string;
  channel: 'chat' | 'email';
  verified: boolean;
  /** When the customer's first message came: the scenario's clock. */
  startedAt: Date;
  /** The conversation's customer, or null for an anonymous visitor (a stand-in contact is made up). */
  account: { id: string; name: string; tier: string; region: string } | null;
  contact: {
    id: string;
    name: string;
    email: string;
    timezone: string;
    phone: string | null;
    title: string | null;
  } | null;
  /** The customer's turns, oldest first: typed text, or a button press (confirm / decline / code). */
  customerTurns: Array<{ text: string; input: { kind: string } | null }>;
  subscriptions: Row[];
  invoices: Row[];
  payments: Row[];
  tickets: Row[];
  incidents: Row[];
  bookings: Row[];
  engineers: Row[];
  /** Successful writes of the conversation's connector calls (`connector.operation` and its input). */
  writes: Array<{ op: string; input: Record<string, unknown> }>;
}

/** What the human chooses in the "Save as test" dialog. */
export const captureChoiceSchema = z.strictObject({
  /** The scenario id (letters, digits, ".", "_", "-"). */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-"'),
  /** The scenario's title, e.g. "Refund above the limit goes to a human". */
  name: z.string().trim().min(1).max(200),
  outcome: z.enum(['resolved', 'answered', 'escalated']),
  /** With outcome escalated: the reason expected (docs/product.md), or null for any. */
  escalationReason: z.enum(escalationReasons).nullable().optional(),
  /** Expect the writes this conversation made (each exactly once) and no other. */
  expectSameWrites: z.boolean().default(false),
});
export type CaptureChoice = z.input<typeof captureChoiceSchema>;

/** The scenario could not be built or does not validate (the issues name the fields). */
export class CaptureError extends Error {
  override name = 'CaptureError';
  constructor(
    message: string,
    readonly issues: ScenarioIssue[] = [],
  ) {
    super(
      issues.length > 0 ? `${message}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` : message,
    );
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;
const isoDate = (value: unknown): string | undefined => {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return typeof value === 'string' ? value.slice(0, 10) : undefined;
};
const isoInstant = (value: unknown): string | undefined => {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? new Date(value).toISOString() : undefined;
};
/** Drops undefined values (the world schema is strict and YAML has no undefined). */
function compact<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

/** Arguments of an expected write worth keeping: ids (remapped) and closed values, never free text. */
const keptArgumentKinds: Record<string, RecordKind | 'value'> = {
  payment_id: 'payment',
  subscription_id: 'subscription',
  contact_id: 'contact',
  booking_id: 'booking',
  engineer_id: 'engineer',
  ticket_id: 'ticket',
  account_id: 'account',
  amount_cents: 'value',
  plan: 'value',
  at_period_end: 'value',
  priority: 'value',
  category: 'value',
  internal: 'value',
};

/** Builds and validates the scenario; throws `CaptureError` when it does not validate. */
export function buildCapturedScenario(
  conversation: CapturedConversation,
  choiceInput: CaptureChoice,
): Scenario {
  const choice = captureChoiceSchema.parse(choiceInput);
  const fake = new Pseudonymizer();
  const world: WorldInput & Required<Pick<WorldInput, 'incidents' | 'tickets' | 'engineers' | 'bookings'>> = {
    accounts: [],
    contacts: [],
    subscriptions: [],
    invoices: [],
    payments: [],
    tickets: [],
    incidents: [],
    engineers: [],
    bookings: [],
  };

  // The customer (or a stand-in for an anonymous visitor: the format needs a contact to write).
  const account = conversation.account ?? { id: 'acc_visitor', name: 'Visitor', tier: 'free', region: 'NA' };
  const accountId = fake.id('account', account.id);
  world.accounts!.push({
    id: accountId,
    name: fake.company(account.name),
    tier: account.tier as 'free',
    region: account.region as 'NA',
  });
  const contact = conversation.contact ?? {
    id: 'ct_visitor',
    name: 'Visitor',
    email: 'visitor@example.com',
    timezone: 'UTC',
    phone: null,
    title: null,
  };
  const contactId = fake.id('contact', contact.id);
  const person = fake.person(contact.name, contact.email);
  world.contacts!.push(
    compact({
      id: contactId,
      account: accountId,
      name: person.name,
      email: person.email,
      timezone: contact.timezone,
      phone: contact.phone ? fake.phone(contact.phone) : undefined,
      // A job title is not identifying on its own, but it is free text the customer gave: dropped.
    }),
  );

  const ownAccount = (row: Row) => row.account_id === account.id;
  for (const row of conversation.subscriptions.filter(ownAccount)) {
    world.subscriptions!.push(
      compact({
        id: fake.id('subscription', String(row.id)),
        account: accountId,
        plan: row.plan_id as 'pro',
        status: row.status as 'active',
        period_end: isoDate(row.period_end)!,
        period_start: isoDate(row.period_start),
        cancel_at_period_end: row.cancel_at_period_end === true ? true : undefined,
      }),
    );
  }
  const subscriptionIds = new Set(conversation.subscriptions.filter(ownAccount).map((row) => String(row.id)));
  const ownInvoices = conversation.invoices.filter(ownAccount);
  for (const row of ownInvoices) {
    const subscription = text(row.subscription_id);
    world.invoices!.push(
      compact({
        id: fake.id('invoice', String(row.id)),
        account: accountId,
        amount_cents: Number(row.amount_cents),
        status: row.status as 'paid',
        issued_at: isoDate(row.issued_at)!,
        subscription:
          subscription && subscriptionIds.has(subscription)
            ? fake.id('subscription', subscription)
            : undefined,
        due_at: isoDate(row.due_at),
      }),
    );
  }
  const invoiceIds = new Set(ownInvoices.map((row) => String(row.id)));
  for (const row of conversation.payments.filter((payment) => invoiceIds.has(String(payment.invoice_id)))) {
    world.payments!.push(
      compact({
        id: fake.id('payment', String(row.id)),
        invoice: fake.id('invoice', String(row.invoice_id)),
        amount_cents: Number(row.amount_cents),
        status: row.status as 'succeeded',
        created_at: isoInstant(row.created_at)!,
        failure_reason: text(row.failure_reason),
        // The card's last four digits are payment data: replaced by a fixed test value.
        card_last4: text(row.card_last4) ? '4242' : undefined,
      }),
    );
  }

  const incidentsKept = new Set<string>();
  const ownTickets = conversation.tickets.filter(
    (row) => ownAccount(row) && (row.contact_id === null || row.contact_id === contact.id),
  );
  for (const row of conversation.incidents) {
    const id = fake.id('incident', String(row.id));
    incidentsKept.add(String(row.id));
    world.incidents.push(
      compact({
        id,
        title: String(row.title),
        status: row.status as 'open',
        started_at: isoInstant(row.started_at)!,
        summary: fake.text(String(row.summary ?? '')),
        severity: text(row.severity) as 'SEV2' | undefined,
        components:
          Array.isArray(row.components) && row.components.length > 0 ? row.components.map(String) : undefined,
        resolved_at: isoInstant(row.resolved_at ?? undefined),
      }),
    );
  }
  for (const row of ownTickets) {
    const incident = text(row.incident_id);
    world.tickets.push(
      compact({
        id: fake.id('ticket', String(row.id)),
        account: accountId,
        contact: contactId,
        // Subjects are written by the customer: pseudonymised like their messages.
        subject: fake.text(String(row.subject)),
        status: row.status as 'open',
        priority: row.priority as 'normal',
        category: String(row.category ?? 'general'),
        created_at: isoInstant(row.created_at)!,
        incident: incident && incidentsKept.has(incident) ? fake.id('incident', incident) : undefined,
      }),
    );
  }
  const engineerIds = new Set<string>();
  for (const row of conversation.engineers) {
    const engineer = fake.person(String(row.name), String(row.email));
    engineerIds.add(String(row.id));
    world.engineers.push({
      id: fake.id('engineer', String(row.id)),
      name: engineer.name,
      email: engineer.email,
      timezone: String(row.timezone),
      hours: `${row.hours_start}-${row.hours_end}`,
      days: (row.days as string[]).map((day) => day as 'mon'),
    });
  }
  for (const row of conversation.bookings.filter(
    (booking) => booking.contact_id === contact.id && engineerIds.has(String(booking.engineer_id)),
  )) {
    world.bookings.push(
      compact({
        id: fake.id('booking', String(row.id)),
        contact: contactId,
        engineer: fake.id('engineer', String(row.engineer_id)),
        start: isoInstant(row.start_at)!,
        end: isoInstant(row.end_at)!,
        status: row.status as 'confirmed',
      }),
    );
  }

  // The customer's words, after the world: every name, address and id of the snapshot is known now.
  const says: string[] = [];
  let confirms: boolean | undefined;
  for (const turn of conversation.customerTurns) {
    // Button presses are structured inputs the simulated customer answers on its own (Confirm /
    // Decline from `confirms`, the code from its mailbox); they are not messages to replay.
    if (turn.input?.kind === 'confirm') confirms ??= true;
    else if (turn.input?.kind === 'decline') confirms ??= false;
    else if (turn.input === null) {
      const said = fake.text(turn.text).trim();
      if (said !== '' && !/^•+$/.test(said)) says.push(said);
    }
  }
  if (says.length === 0) throw new CaptureError('the conversation has no customer message to replay');

  const writes = choice.expectSameWrites ? expectedWrites(conversation.writes, fake) : undefined;
  const scenario = {
    id: choice.id,
    title: choice.name,
    tags: ['captured'],
    world,
    now: conversation.startedAt.toISOString(),
    customer: compact({
      contact: contactId,
      verified: conversation.verified,
      channel: conversation.channel,
      says: says.slice(0, 50),
      // A customer who never pressed Confirm never agreed to anything: the replay declines too.
      confirms: confirms ?? false,
    }),
    expect: compact({
      outcome: choice.outcome,
      escalation_reason: choice.outcome === 'escalated' ? (choice.escalationReason ?? undefined) : undefined,
      writes,
      no_other_writes: choice.expectSameWrites ? true : undefined,
      max_turns: Math.min(50, Math.max(6, says.length)),
    }),
  };
  const validated = validateScenario(scenario);
  if ('issues' in validated)
    throw new CaptureError('the captured scenario does not validate', validated.issues);
  return validated.scenario;
}

/**
 * The conversation's successful writes as `expect.writes`: canonical operations only (others have
 * no end-state check), with record ids remapped and only closed arguments kept (free text such as a
 * refund reason or a ticket subject would carry the customer's words). A write naming a record
 * outside the snapshot is dropped rather than pointing the test at another customer's record.
 */
function expectedWrites(writes: CapturedConversation['writes'], fake: Pseudonymizer) {
  const expected: Array<{ op: string; args: Record<string, unknown> }> = [];
  const seen = new Set<string>();
  for (const write of writes) {
    if (!isWriteOperationName(write.op)) continue;
    const allowed = writeOperations[write.op].args.shape as Record<string, unknown>;
    const args: Record<string, unknown> = {};
    let outside = false;
    for (const [name, value] of Object.entries(write.input)) {
      const kind = keptArgumentKinds[name];
      if (!kind || !(name in allowed) || value === undefined || value === null) continue;
      if (kind === 'value') args[name] = value;
      else if (typeof value === 'string' && fake.hasId(kind, value)) args[name] = fake.id(kind, value);
      else outside = true;
    }
    if (outside) continue;
    const key = `${write.op}:${JSON.stringify(args)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    expected.push({ op: write.op, args });
  }
  return expected;
}
