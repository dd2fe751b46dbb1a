import { type Kysely, sql } from 'kysely';

/** CRM, billing, ticketing and calendar: the systems the built-in connectors serve. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE plans (
      id text PRIMARY KEY CHECK (id IN ('free','starter','pro','business','enterprise')),
      name text NOT NULL,
      price_cents integer, -- NULL: by contract
      events_per_month bigint,
      sort_order integer NOT NULL
    );
    -- Reference data: the price list (docs/product.md), not part of any world.
    INSERT INTO plans (id, name, price_cents, events_per_month, sort_order) VALUES
      ('free', 'Free', 0, 1000000, 0),
      ('starter', 'Starter', 2900, 10000000, 1),
      ('pro', 'Pro', 9900, 100000000, 2),
      ('business', 'Business', 49900, 1000000000, 3),
      ('enterprise', 'Enterprise', NULL, NULL, 4);

    CREATE TABLE accounts (
      id text PRIMARY KEY,
      name text NOT NULL,
      tier text NOT NULL REFERENCES plans(id),
      region text NOT NULL CHECK (region IN ('NA','EU','APAC')),
      owner_name text,
      owner_email text,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE contacts (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      name text NOT NULL,
      email text NOT NULL,
      phone text,
      title text,
      timezone text NOT NULL DEFAULT 'UTC',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX contacts_email_key ON contacts (lower(email));
    CREATE INDEX contacts_account_idx ON contacts (account_id);

    -- CRM history: notes, calls, emails, chats.
    CREATE TABLE interactions (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      contact_id text REFERENCES contacts(id) ON DELETE SET NULL,
      kind text NOT NULL CHECK (kind IN ('note','call','email','chat','meeting')),
      body text NOT NULL,
      author text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX interactions_account_idx ON interactions (account_id, created_at DESC);

    CREATE TABLE subscriptions (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      plan_id text NOT NULL REFERENCES plans(id),
      status text NOT NULL CHECK (status IN ('active','trialing','past_due','cancelled')),
      period_start date,
      period_end date NOT NULL,
      cancel_at_period_end boolean NOT NULL DEFAULT false,
      cancelled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX subscriptions_account_idx ON subscriptions (account_id);

    CREATE TABLE invoices (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      subscription_id text REFERENCES subscriptions(id) ON DELETE SET NULL,
      amount_cents integer NOT NULL CHECK (amount_cents >= 0),
      currency text NOT NULL DEFAULT 'usd',
      status text NOT NULL CHECK (status IN ('draft','open','paid','failed','void','refunded')),
      issued_at date NOT NULL,
      due_at date,
      description text
    );
    CREATE INDEX invoices_account_idx ON invoices (account_id, issued_at DESC);

    CREATE TABLE payments (
      id text PRIMARY KEY,
      invoice_id text NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
      amount_cents integer NOT NULL CHECK (amount_cents >= 0),
      status text NOT NULL CHECK (status IN ('succeeded','failed','pending','refunded','partially_refunded')),
      failure_reason text,
      card_last4 text,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX payments_invoice_idx ON payments (invoice_id, created_at);

    CREATE TABLE refunds (
      id text PRIMARY KEY,
      payment_id text NOT NULL REFERENCES payments(id) ON DELETE CASCADE,
      amount_cents integer NOT NULL CHECK (amount_cents > 0),
      reason text NOT NULL,
      status text NOT NULL DEFAULT 'succeeded' CHECK (status IN ('pending','succeeded','failed')),
      created_by text NOT NULL DEFAULT 'agent',
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX refunds_payment_idx ON refunds (payment_id);

    CREATE TABLE credits (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      amount_cents integer NOT NULL CHECK (amount_cents > 0),
      reason text NOT NULL,
      applied_invoice_id text REFERENCES invoices(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- Plan changes applied (with the proration that was previewed and confirmed).
    CREATE TABLE plan_changes (
      id text PRIMARY KEY,
      subscription_id text NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
      from_plan text NOT NULL REFERENCES plans(id),
      to_plan text NOT NULL REFERENCES plans(id),
      proration_cents integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE payment_retries (
      id text PRIMARY KEY,
      payment_id text NOT NULL REFERENCES payments(id) ON DELETE CASCADE,
      scheduled_for timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','succeeded','failed','cancelled')),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- Signed, expiring update-payment links (only the token's hash is stored).
    CREATE TABLE payment_links (
      id text PRIMARY KEY,
      contact_id text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE incidents (
      id text PRIMARY KEY,
      title text NOT NULL,
      status text NOT NULL CHECK (status IN ('open','resolved')),
      severity text NOT NULL DEFAULT 'SEV2' CHECK (severity IN ('SEV1','SEV2','SEV3')),
      components text[] NOT NULL DEFAULT '{}',
      started_at timestamptz NOT NULL,
      resolved_at timestamptz,
      summary text NOT NULL DEFAULT ''
    );

    CREATE TABLE tickets (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      contact_id text REFERENCES contacts(id) ON DELETE SET NULL,
      subject text NOT NULL,
      description text NOT NULL DEFAULT '',
      status text NOT NULL CHECK (status IN ('new','open','pending','on_hold','solved','closed')),
      priority text NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
      category text NOT NULL DEFAULT 'general',
      assignee text,
      conversation_id text,
      incident_id text REFERENCES incidents(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX tickets_account_idx ON tickets (account_id, created_at DESC);
    CREATE INDEX tickets_contact_idx ON tickets (contact_id);

    CREATE TABLE ticket_comments (
      id text PRIMARY KEY,
      ticket_id text NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
      author text NOT NULL,
      body text NOT NULL,
      internal boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ticket_comments_ticket_idx ON ticket_comments (ticket_id, created_at);

    CREATE TABLE engineers (
      id text PRIMARY KEY,
      name text NOT NULL,
      email text NOT NULL,
      timezone text NOT NULL,
      hours_start text NOT NULL CHECK (hours_start ~ '^[0-2][0-9]:[0-5][0-9]$'),
      hours_end text NOT NULL CHECK (hours_end ~ '^[0-2][0-9]:[0-5][0-9]$'),
      days text[] NOT NULL
    );

    CREATE TABLE bookings (
      id text PRIMARY KEY,
      contact_id text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
      engineer_id text NOT NULL REFERENCES engineers(id) ON DELETE CASCADE,
      start_at timestamptz NOT NULL,
      end_at timestamptz NOT NULL CHECK (end_at > start_at),
      status text NOT NULL CHECK (status IN ('confirmed','cancelled')),
      topic text,
      external_event_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX bookings_engineer_idx ON bookings (engineer_id, start_at);
    CREATE INDEX bookings_contact_idx ON bookings (contact_id, start_at);

    -- Policy numbers and other world-level settings (e.g. key 'policy').
    CREATE TABLE settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS settings, bookings, engineers, ticket_comments, tickets, incidents, payment_links,
      payment_retries, plan_changes, credits, refunds, payments, invoices, subscriptions, interactions,
      contacts, accounts, plans CASCADE;
  `.execute(db);
}
