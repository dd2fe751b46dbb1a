import { en, Faker } from '@faker-js/faker';
import type { WorldInput } from './world-schema.ts';

/**
 * The Lumen Cloud demo world (docs/product.md, "The demo world"): ~200 accounts, ~400 contacts, billing
 * history, tickets, incidents, engineers and bookings. Deterministic: the same seed and anchor give
 * the same world. Dates are relative to `anchor` (the seed's "today") so the edge cases — a duplicate
 * charge inside the refund window, a refund request outside it — stay true whenever it is seeded.
 */
export interface DemoWorldOptions {
  seed?: number;
  /** The demo's "today". */
  anchor: Date;
  accounts?: number;
}

type Tier = 'free' | 'starter' | 'pro' | 'business' | 'enterprise';
const planPrice: Record<Tier, number> = { free: 0, starter: 2900, pro: 9900, business: 49900, enterprise: 0 };
const regionZones = {
  NA: ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Toronto'],
  EU: [
    'Europe/Berlin',
    'Europe/London',
    'Europe/Paris',
    'Europe/Madrid',
    'Europe/Amsterdam',
    'Europe/Warsaw',
  ],
  APAC: ['Asia/Singapore', 'Asia/Tokyo', 'Australia/Sydney', 'Asia/Kolkata'],
} as const;
type Region = keyof typeof regionZones;

const day = 86_400_000;
const isoDate = (date: Date) => date.toISOString().slice(0, 10);
const addDays = (date: Date, days: number) => new Date(date.getTime() + days * day);
const monthStart = (date: Date, offset = 0) =>
  new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1));
const pad = (value: number, width: number) => String(value).padStart(width, '0');

/**
 * Named demo customers, each the entry point to one edge case the procedures need. Their contacts
 * are the first contacts of the first accounts, so their ids are stable.
 */
export const demoCustomers = {
  duplicateCharge: { account: 'acc_0001', contact: 'ct_0001', email: 'maya.chen@brightpath.io' },
  failedPayment: { account: 'acc_0002', contact: 'ct_0003', email: 'omar.haddad@northwind-analytics.com' },
  refundOutsideWindow: { account: 'acc_0003', contact: 'ct_0005', email: 'lena.vogel@oakridge.de' },
  refundAboveLimit: { account: 'acc_0004', contact: 'ct_0007', email: 'priya.nair@quantaleap.io' },
  enterprise: { account: 'acc_0005', contact: 'ct_0009', email: 'james.whitfield@globex.com' },
  openTicket: { account: 'acc_0006', contact: 'ct_0011', email: 'sofia.rossi@verdant.co' },
  anotherCompany: { account: 'acc_0007', contact: 'ct_0013', email: 'daniel.kim@harborline.com' },
} as const;

const namedAccounts: Array<{
  name: string;
  tier: Tier;
  region: Region;
  contacts: Array<[string, string, string]>;
}> = [
  {
    name: 'Brightpath',
    tier: 'pro',
    region: 'EU',
    contacts: [
      ['Maya Chen', 'maya.chen@brightpath.io', 'Europe/Berlin'],
      ['Tom Becker', 'tom.becker@brightpath.io', 'Europe/Berlin'],
    ],
  },
  {
    name: 'Northwind Analytics',
    tier: 'starter',
    region: 'NA',
    contacts: [
      ['Omar Haddad', 'omar.haddad@northwind-analytics.com', 'America/Chicago'],
      ['Jill Park', 'jill.park@northwind-analytics.com', 'America/Chicago'],
    ],
  },
  {
    name: 'Oakridge GmbH',
    tier: 'pro',
    region: 'EU',
    contacts: [
      ['Lena Vogel', 'lena.vogel@oakridge.de', 'Europe/Berlin'],
      ['Jonas Weber', 'jonas.weber@oakridge.de', 'Europe/Berlin'],
    ],
  },
  {
    name: 'QuantaLeap',
    tier: 'business',
    region: 'APAC',
    contacts: [
      ['Priya Nair', 'priya.nair@quantaleap.io', 'Asia/Kolkata'],
      ['Arjun Mehta', 'arjun.mehta@quantaleap.io', 'Asia/Kolkata'],
    ],
  },
  {
    name: 'Globex Corporation',
    tier: 'enterprise',
    region: 'NA',
    contacts: [
      ['James Whitfield', 'james.whitfield@globex.com', 'America/New_York'],
      ['Hannah Ortiz', 'hannah.ortiz@globex.com', 'America/New_York'],
    ],
  },
  {
    name: 'Verdant Co',
    tier: 'pro',
    region: 'EU',
    contacts: [
      ['Sofia Rossi', 'sofia.rossi@verdant.co', 'Europe/Paris'],
      ['Luca Bianchi', 'luca.bianchi@verdant.co', 'Europe/Paris'],
    ],
  },
  {
    name: 'Harborline',
    tier: 'business',
    region: 'NA',
    contacts: [
      ['Daniel Kim', 'daniel.kim@harborline.com', 'America/Los_Angeles'],
      ['Grace Liu', 'grace.liu@harborline.com', 'America/Los_Angeles'],
    ],
  },
];

const engineers = [
  { id: 'eng_01', name: 'Alex Morgan', email: 'alex.morgan@lumen.cloud', timezone: 'Europe/London' },
  { id: 'eng_02', name: 'Bea Schulz', email: 'bea.schulz@lumen.cloud', timezone: 'Europe/Berlin' },
  { id: 'eng_03', name: 'Carlos Diaz', email: 'carlos.diaz@lumen.cloud', timezone: 'America/New_York' },
  { id: 'eng_04', name: 'Dana Lee', email: 'dana.lee@lumen.cloud', timezone: 'America/Los_Angeles' },
  { id: 'eng_05', name: 'Eitan Cohen', email: 'eitan.cohen@lumen.cloud', timezone: 'Asia/Singapore' },
  { id: 'eng_06', name: 'Fiona Walsh', email: 'fiona.walsh@lumen.cloud', timezone: 'Australia/Sydney' },
];

const ticketTopics: Array<{ subject: string; category: string; description: string }> = [
  {
    subject: 'Dashboard not loading',
    category: 'bug',
    description: 'The funnels dashboard spins forever since this morning.',
  },
  {
    subject: 'Events missing from yesterday',
    category: 'bug',
    description: 'We see a gap in events between 02:00 and 04:00 UTC.',
  },
  {
    subject: 'Question about invoice',
    category: 'billing',
    description: 'The amount on our last invoice looks different from our plan price.',
  },
  {
    subject: 'SSO setup with Okta',
    category: 'account',
    description: 'Our SAML assertion is rejected with an audience mismatch.',
  },
  {
    subject: 'API returns 429',
    category: 'api',
    description: 'We get rate limited when backfilling historical events.',
  },
  {
    subject: 'Snowflake export failing',
    category: 'integrations',
    description: 'The nightly Snowflake sync reports a permission error.',
  },
  {
    subject: 'Add a teammate',
    category: 'account',
    description: 'How do we invite a new analyst to the workspace?',
  },
  {
    subject: 'CSV export truncated',
    category: 'bug',
    description: 'Exports over 1 million rows stop at 1,048,576 rows.',
  },
  {
    subject: 'Webhook signature mismatch',
    category: 'integrations',
    description: 'Our endpoint cannot verify the Lumen-Signature header.',
  },
  {
    subject: 'Slack alerts stopped',
    category: 'integrations',
    description: 'Alerts no longer arrive in our #analytics channel.',
  },
];

/** Builds the demo world as a fixture in the docs/evals.md world format (plus the optional extras the loader accepts). */
export function buildDemoWorld(
  options: DemoWorldOptions,
): WorldInput & Required<Pick<WorldInput, 'accounts' | 'contacts'>> {
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed ?? 42);
  const anchor = options.anchor;
  const accountCount = options.accounts ?? 200;
  const world = {
    accounts: [] as NonNullable<WorldInput['accounts']>,
    contacts: [] as NonNullable<WorldInput['contacts']>,
    subscriptions: [] as NonNullable<WorldInput['subscriptions']>,
    invoices: [] as NonNullable<WorldInput['invoices']>,
    payments: [] as NonNullable<WorldInput['payments']>,
    tickets: [] as NonNullable<WorldInput['tickets']>,
    incidents: [] as NonNullable<WorldInput['incidents']>,
    engineers: engineers.map((engineer) => ({
      ...engineer,
      hours: '09:00-17:00',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'] as Array<'mon' | 'tue' | 'wed' | 'thu' | 'fri'>,
    })),
    bookings: [] as NonNullable<WorldInput['bookings']>,
  };
  const usedEmails = new Set<string>();
  let contactNumber = 0;
  let invoiceNumber = 10_000;
  let paymentNumber = 0;
  const owners = ['Rachel Adams', 'Marcus Lee', 'Ingrid Holm', 'Kenji Sato'];

  for (let index = 0; index < accountCount; index += 1) {
    const named = namedAccounts[index];
    const accountId = `acc_${pad(index + 1, 4)}`;
    const tier: Tier =
      named?.tier ??
      faker.helpers.weightedArrayElement([
        { weight: 25, value: 'free' },
        { weight: 30, value: 'starter' },
        { weight: 28, value: 'pro' },
        { weight: 12, value: 'business' },
        { weight: 5, value: 'enterprise' },
      ]);
    const region: Region = named?.region ?? faker.helpers.arrayElement(['NA', 'EU', 'APAC'] as const);
    const name =
      named?.name ??
      uniqueCompanyName(
        faker,
        world.accounts.map((account) => account.name),
      );
    const domain = `${name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')}.com`;
    const owner = faker.helpers.arrayElement(owners);
    const createdAt = addDays(anchor, -faker.number.int({ min: 200, max: 1400 }));
    world.accounts.push({
      id: accountId,
      name,
      tier,
      region,
      owner_name: tier === 'enterprise' || tier === 'business' ? owner : undefined,
      owner_email:
        tier === 'enterprise' || tier === 'business'
          ? `${owner.split(' ')[0]!.toLowerCase()}@lumen.cloud`
          : undefined,
      notes: faker.helpers.maybe(
        () => [
          faker.helpers.arrayElement([
            'Prefers email over calls. Renewal discussion planned for Q1.',
            'Evaluating the Business plan for SSO.',
            'Had a data-delay incident last quarter; handle with care.',
            'Main use case: product funnels for their mobile app.',
            'Asked about EU data residency during onboarding.',
          ]),
        ],
        { probability: 0.4 },
      ),
      created_at: createdAt.toISOString(),
    });

    const people =
      named?.contacts ??
      Array.from(
        {
          length: faker.helpers.weightedArrayElement([
            { weight: 3, value: 1 },
            { weight: 5, value: 2 },
            { weight: 2, value: 3 },
          ]),
        },
        () => {
          const first = faker.person.firstName();
          const last = faker.person.lastName();
          return [
            `${first} ${last}`,
            `${first}.${last}@${domain}`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
            faker.helpers.arrayElement(regionZones[region]),
          ] as [string, string, string];
        },
      );
    const contactIds: string[] = [];
    for (const [personName, rawEmail, timezone] of people) {
      let email = rawEmail;
      for (let suffix = 2; usedEmails.has(email); suffix += 1) email = rawEmail.replace('@', `${suffix}@`);
      usedEmails.add(email);
      contactNumber += 1;
      const contactId = `ct_${pad(contactNumber, 4)}`;
      contactIds.push(contactId);
      world.contacts.push({
        id: contactId,
        account: accountId,
        name: personName,
        email,
        timezone,
        phone: faker.helpers.maybe(() => faker.phone.number({ style: 'international' }), {
          probability: 0.6,
        }),
        title: faker.helpers.maybe(() => faker.person.jobTitle(), { probability: 0.7 }),
      });
    }

    // Subscription and monthly invoices for the last six months (paid by card).
    const subscriptionId = `sub_${pad(index + 1, 4)}`;
    const periodStart = monthStart(anchor);
    world.subscriptions.push({
      id: subscriptionId,
      account: accountId,
      plan: tier,
      status: 'active',
      period_start: isoDate(periodStart),
      period_end: isoDate(addDays(monthStart(anchor, 1), -1)),
    });
    if (tier === 'free') continue;
    const monthly =
      tier === 'enterprise' ? faker.helpers.arrayElement([250_000, 420_000, 800_000]) : planPrice[tier];
    const card = String(faker.number.int({ min: 1000, max: 9999 }));
    for (let month = -5; month <= 0; month += 1) {
      invoiceNumber += 1;
      const issued = monthStart(anchor, month);
      const invoiceId = `INV-${invoiceNumber}`;
      const failed = month === 0 && (index === 1 || faker.datatype.boolean(0.04));
      world.invoices.push({
        id: invoiceId,
        account: accountId,
        subscription: subscriptionId,
        amount_cents: monthly,
        status: failed ? 'failed' : 'paid',
        issued_at: isoDate(issued),
        due_at: isoDate(addDays(issued, 14)),
        description: `Lumen Cloud ${tier[0]!.toUpperCase()}${tier.slice(1)} plan — ${issued.toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' })}`,
      });
      const chargedAt = new Date(
        issued.getTime() + 10 * 3_600_000 + faker.number.int({ min: 0, max: 3_000_000 }),
      );
      paymentNumber += 1;
      world.payments.push({
        id: `pay_${pad(paymentNumber, 5)}`,
        invoice: invoiceId,
        amount_cents: monthly,
        status: failed ? 'failed' : 'succeeded',
        failure_reason: failed
          ? faker.helpers.arrayElement(['card_expired', 'insufficient_funds', 'card_declined'])
          : undefined,
        card_last4: card,
        created_at: chargedAt.toISOString(),
      });
      if (failed && index === 1) world.payments.at(-1)!.failure_reason = 'card_expired';
      // Duplicate charges: the same invoice charged twice seconds apart.
      const duplicate =
        !failed &&
        ((index === 0 && month === 0) ||
          (index === 3 && month === 0) ||
          (index > 10 && faker.datatype.boolean(0.01)));
      if (duplicate) {
        paymentNumber += 1;
        world.payments.push({
          id: `pay_${pad(paymentNumber, 5)}`,
          invoice: invoiceId,
          amount_cents: monthly,
          status: 'succeeded',
          card_last4: card,
          created_at: new Date(chargedAt.getTime() + 9_000).toISOString(),
        });
      }
    }
    if (index === 2) {
      // Oakridge: an extra one-off charge 45 days ago, outside the 30-day refund window.
      invoiceNumber += 1;
      const issued = addDays(anchor, -45);
      world.invoices.push({
        id: `INV-${invoiceNumber}`,
        account: accountId,
        amount_cents: 15_000,
        status: 'paid',
        issued_at: isoDate(issued),
        description: 'Additional event volume (50M events)',
      });
      paymentNumber += 1;
      world.payments.push({
        id: `pay_${pad(paymentNumber, 5)}`,
        invoice: `INV-${invoiceNumber}`,
        amount_cents: 15_000,
        status: 'succeeded',
        card_last4: card,
        created_at: new Date(issued.getTime() + 36_000_000).toISOString(),
      });
    }

    // Tickets: the named ones have an open ticket; others at random.
    const ticketCount =
      index === 5
        ? 2
        : faker.helpers.weightedArrayElement([
            { weight: 6, value: 0 },
            { weight: 3, value: 1 },
            { weight: 1, value: 2 },
          ]);
    for (let ticket = 0; ticket < ticketCount; ticket += 1) {
      const topic = faker.helpers.arrayElement(ticketTopics);
      const createdAt = addDays(anchor, -faker.number.int({ min: 0, max: 60 }));
      world.tickets.push({
        id: `TCK-${1000 + world.tickets.length + 1}`,
        account: accountId,
        contact: faker.helpers.arrayElement(contactIds),
        subject: topic.subject,
        description: topic.description,
        category: topic.category,
        status:
          index === 5 && ticket === 0
            ? 'open'
            : faker.helpers.arrayElement(['open', 'pending', 'solved', 'closed'] as const),
        priority: faker.helpers.arrayElement(['low', 'normal', 'normal', 'high'] as const),
        assignee: faker.helpers.arrayElement(['Alex Morgan', 'Bea Schulz', 'Carlos Diaz', undefined]),
        created_at: createdAt.toISOString(),
      });
    }
  }

  world.incidents.push(
    {
      id: 'INC-2041',
      title: 'Delayed event ingestion in the EU region',
      status: 'open',
      severity: 'SEV2',
      components: ['ingestion', 'dashboards'],
      started_at: new Date(anchor.getTime() - 5 * 3_600_000).toISOString(),
      summary:
        'Events sent to the EU (Frankfurt) region are processed with a delay of up to 40 minutes. No data is lost; dashboards catch up automatically.',
    },
    {
      id: 'INC-2033',
      title: 'Snowflake export failures',
      status: 'resolved',
      severity: 'SEV3',
      components: ['integrations', 'export'],
      started_at: addDays(anchor, -12).toISOString(),
      resolved_at: addDays(anchor, -11).toISOString(),
      summary:
        'Nightly Snowflake exports failed for some workspaces after a credential rotation. Fixed; exports re-ran.',
    },
    {
      id: 'INC-2019',
      title: 'Dashboard loading errors',
      status: 'resolved',
      severity: 'SEV1',
      components: ['dashboards'],
      started_at: addDays(anchor, -34).toISOString(),
      resolved_at: addDays(anchor, -34 + 0.1).toISOString(),
      summary: 'Dashboards returned errors for 2 hours in all regions after a faulty deploy; rolled back.',
    },
  );
  // Link a few tickets to the open incident.
  for (const ticket of world.tickets
    .filter((item) => item.subject === 'Events missing from yesterday')
    .slice(0, 3)) {
    ticket.incident = 'INC-2041';
  }

  // Booked sessions with engineers over the next two weeks, inside their working hours.
  for (let booking = 0; booking < 24; booking += 1) {
    const engineer = faker.helpers.arrayElement(engineers);
    const contact = faker.helpers.arrayElement(world.contacts);
    const date = addDays(anchor, faker.number.int({ min: -7, max: 13 }));
    const weekday = date.getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const start = zonedTime(
      date,
      faker.number.int({ min: 9, max: 16 }),
      faker.helpers.arrayElement([0, 30]),
      engineer.timezone,
    );
    if (world.bookings.some((item) => item.engineer === engineer.id && item.start === start.toISOString()))
      continue;
    world.bookings.push({
      id: `bk_${pad(world.bookings.length + 1, 4)}`,
      contact: contact.id,
      engineer: engineer.id,
      start: start.toISOString(),
      end: new Date(start.getTime() + 30 * 60_000).toISOString(),
      status:
        start < anchor
          ? 'confirmed'
          : faker.helpers.arrayElement(['confirmed', 'confirmed', 'confirmed', 'cancelled'] as const),
      topic: faker.helpers.arrayElement([
        'Dashboard review',
        'SSO setup',
        'API integration',
        'Data export questions',
      ]),
    });
  }
  return world;
}

function uniqueCompanyName(faker: Faker, taken: string[]): string {
  for (;;) {
    const name = faker.company.name();
    if (!taken.includes(name)) return name;
  }
}

/** The UTC instant of `hour:minute` local time in `timeZone` on the date of `date`. */
function zonedTime(date: Date, hour: number, minute: number, timeZone: string): Date {
  const guess = new Date(
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), hour, minute),
  );
  const local = new Date(guess.toLocaleString('en-US', { timeZone }));
  const utc = new Date(guess.toLocaleString('en-US', { timeZone: 'UTC' }));
  return new Date(guess.getTime() - (local.getTime() - utc.getTime()));
}
