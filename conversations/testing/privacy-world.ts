import { emptyCheckpoint } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type pg from 'pg';

/**
 * A small world for the privacy tests (conversations/privacy.int.test.ts, conversations/retention.int.test.ts,
 * api/admin/privacy-routes.int.test.ts): one account with two contacts, each with a conversation
 * holding every kind of data a contact leaves behind — messages (an inbound mail with a masked code),
 * an escalation, a one-time code, agent checkpoints, outbox mail, audit rows, an idempotency record,
 * a ticket with a comment, a CRM note, a booking, a payment link — and a knowledge article naming
 * the first contact. Ids carry a prefix so two worlds can share one database.
 */
export interface PrivacyPerson {
  contactId: string;
  email: string;
  name: string;
  conversationId: string;
  ticketId: string;
  outboxMessageId: string;
  idempotencyKey: string;
}

export interface PrivacyWorld {
  accountId: string;
  alice: PrivacyPerson;
  bob: PrivacyPerson;
  /** A knowledge article that names Alice's address. */
  articleSlug: string;
}

/** LangGraph's checkpoint tables, as the running app creates them (app/wiring.ts). */
export async function setUpCheckpointTables(pool: pg.Pool): Promise<PostgresSaver> {
  const saver = new PostgresSaver(pool);
  await saver.setup();
  return saver;
}

/** Two checkpoints (with blobs and pending writes) of the thread `conversationId`, as the agent leaves them. */
export async function writeCheckpoints(
  saver: PostgresSaver,
  conversationId: string,
  text: string,
): Promise<void> {
  let config = { configurable: { thread_id: conversationId, checkpoint_ns: '' } };
  for (const step of [1, 2]) {
    const checkpoint = emptyCheckpoint();
    checkpoint.channel_values = { transcript: [`${text} (${step})`] };
    checkpoint.channel_versions = { transcript: step };
    config = (await saver.put(
      config,
      checkpoint,
      { source: 'loop', step, parents: {} },
      { transcript: step },
    )) as typeof config;
    await saver.putWrites(config, [['transcript', `${text} pending`]], `task-${step}`);
  }
}

async function seedPerson(
  pool: pg.Pool,
  saver: PostgresSaver,
  prefix: string,
  accountId: string,
  who: { key: string; name: string; email: string },
  at: Date,
): Promise<PrivacyPerson> {
  const contactId = `${prefix}ct_${who.key}`;
  const conversationId = `${prefix}conv_${who.key}`;
  const ticketId = `${prefix}tk_${who.key}`;
  const outboxMessageId = `<${prefix}${who.key}.reply@lumen.example>`;
  const idempotencyKey = `${conversationId}:billing.refund_payment:${who.key}digest`;
  const paymentId = `${prefix}pay_${who.key}`;
  await pool.query(
    `INSERT INTO contacts (id, account_id, name, email, phone, title, created_at) VALUES ($1, $2, $3, $4, '+1 555 0100', 'CTO', $5)`,
    [contactId, accountId, who.name, who.email, at],
  );
  await pool.query(
    `INSERT INTO conversations (id, channel, contact_id, account_id, verified, status, subject, email_thread_key,
       access_token_hash, created_at, updated_at)
     VALUES ($1, 'email', $2, $3, true, 'resolved', $4, $5, 'token-hash-secret', $6, $6)`,
    [
      conversationId,
      contactId,
      accountId,
      `Charged twice — ${who.name}`,
      `<${prefix}${who.key}.first@mail>`,
      at,
    ],
  );
  await pool.query(
    `INSERT INTO messages (conversation_id, role, body, metadata, client_message_id, created_at) VALUES
       ($1, 'customer', $2, $3, $4, $5),
       ($1, 'agent', $6, '{}', NULL, $5),
       ($1, 'customer', 'My code is ••••••', $7, NULL, $5)`,
    [
      conversationId,
      `Hi, this is ${who.name}. I was charged twice.`,
      JSON.stringify({ channel: 'email', from: who.email, from_name: who.name, subject: 'Charged twice' }),
      `<${prefix}${who.key}.first@mail>`,
      at,
      `Sorry ${who.name}, I refunded the duplicate $99.`,
      JSON.stringify({ code_hashes: ['c0ffee-hash-of-a-code'] }),
    ],
  );
  await pool.query(
    `INSERT INTO escalations (id, conversation_id, reason, status, packet, created_at)
     VALUES ($1, $2, 'approval_required', 'resolved', $3, $4)`,
    [
      `${prefix}esc_${who.key}`,
      conversationId,
      JSON.stringify({
        identity: { email: who.email, name: who.name },
        pendingAction: { amount_cents: 9900 },
      }),
      at,
    ],
  );
  await pool.query(
    `INSERT INTO verification_codes (id, conversation_id, contact_id, code_hash, expires_at, created_at)
     VALUES ($1, $2, $3, 'code-hash-secret', $4, $4)`,
    [`${prefix}vc_${who.key}`, conversationId, contactId, at],
  );
  await pool.query(
    `INSERT INTO email_outbox (id, message_id, idempotency_key, conversation_id, to_address, from_address, subject, text_body,
       status, created_at, sent_at)
     VALUES ($1, $2, $3, $4, $5, 'support@lumen.example', 'Your refund', $6, 'sent', $7, $7)`,
    [
      `${prefix}out_${who.key}`,
      outboxMessageId,
      `${conversationId}:email.send:${who.key}`,
      conversationId,
      who.email,
      `Dear ${who.name}, your refund of $99 is on its way.`,
      at,
    ],
  );
  await pool.query(
    `INSERT INTO audit_log (at, conversation_id, actor, account_id, connector_id, operation, effect, args_hash,
       idempotency_key, outcome, latency_ms, detail)
     VALUES ($1, $2, 'agent', $3, 'billing', 'refund_payment', 'write', 'h1', $4, 'ok', 12.5, $5),
            ($1, NULL, 'system', NULL, 'crm', 'lookup_identity', 'read', 'h2', NULL, 'ok', 3, $6)`,
    [
      at,
      conversationId,
      accountId,
      idempotencyKey,
      JSON.stringify({ input: { payment_id: paymentId, amount_cents: 9900, note: `for ${who.name}` } }),
      JSON.stringify({ input: { email: who.email } }),
    ],
  );
  await pool.query(
    `INSERT INTO idempotency_keys (key, connector_id, operation, args_hash, status, result, created_at, completed_at)
     VALUES ($1, 'billing', 'refund_payment', 'h1', 'completed', $2, $3, $3)`,
    [
      idempotencyKey,
      JSON.stringify({ refund_id: `${prefix}re_${who.key}`, amount_cents: 9900, receipt_email: who.email }),
      at,
    ],
  );
  await pool.query(
    `INSERT INTO tickets (id, account_id, contact_id, subject, description, status, priority, conversation_id, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'solved', 'normal', $6, $7, $7)`,
    [
      ticketId,
      accountId,
      contactId,
      `Refund for ${who.name}`,
      `${who.email} was charged twice`,
      conversationId,
      at,
    ],
  );
  await pool.query(
    `INSERT INTO ticket_comments (id, ticket_id, author, body, created_at) VALUES ($1, $2, 'agent', $3, $4)`,
    [`${prefix}tc_${who.key}`, ticketId, `Called ${who.name} back`, at],
  );
  await pool.query(
    `INSERT INTO interactions (id, account_id, contact_id, kind, body, author, created_at)
     VALUES ($1, $2, $3, 'note', $4, 'csm', $5)`,
    [`${prefix}int_${who.key}`, accountId, contactId, `${who.name} prefers email`, at],
  );
  await pool.query(
    `INSERT INTO bookings (id, contact_id, engineer_id, start_at, end_at, status, topic, created_at)
     VALUES ($1, $2, $3, $4, $4::timestamptz + interval '30 minutes', 'confirmed', $5, $4)`,
    [`${prefix}bk_${who.key}`, contactId, `${prefix}eng`, at, `Onboarding for ${who.name}`],
  );
  await pool.query(
    `INSERT INTO payment_links (id, contact_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $4)`,
    [`${prefix}pl_${who.key}`, contactId, `${prefix}link-hash-secret-${who.key}`, at],
  );
  await writeCheckpoints(saver, conversationId, `${who.name} said hello`);
  return {
    contactId,
    email: who.email,
    name: who.name,
    conversationId,
    ticketId,
    outboxMessageId,
    idempotencyKey,
  };
}

/** Seeds the world; `prefix` keeps ids apart when several worlds share a database. */
export async function seedPrivacyWorld(pool: pg.Pool, prefix = '', at = new Date()): Promise<PrivacyWorld> {
  const saver = await setUpCheckpointTables(pool);
  const accountId = `${prefix}acc_priv`;
  await pool.query(
    `INSERT INTO accounts (id, name, tier, region, owner_name, owner_email) VALUES ($1, 'Privacy Co', 'pro', 'EU', 'Alice Archer', $2)`,
    [accountId, `${prefix}alice@privacy.example`],
  );
  await pool.query(
    `INSERT INTO engineers (id, name, email, timezone, hours_start, hours_end, days)
     VALUES ($1, 'Eve Engineer', 'eve@lumen.example', 'UTC', '09:00', '17:00', '{mon,tue,wed,thu,fri}')`,
    [`${prefix}eng`],
  );
  const alice = await seedPerson(
    pool,
    saver,
    prefix,
    accountId,
    { key: 'alice', name: 'Alice Archer', email: `${prefix}alice@privacy.example` },
    at,
  );
  const bob = await seedPerson(
    pool,
    saver,
    prefix,
    accountId,
    { key: 'bob', name: 'Bob Baker', email: `${prefix}bob@privacy.example` },
    at,
  );
  const articleSlug = `${prefix.replace(/[^a-z0-9]/g, '')}vip-customers`.replace(/^-+/, '');
  await pool.query(
    `INSERT INTO kb_articles (slug, title, visibility, body, content_hash) VALUES ($1, 'VIP customers', 'internal', $2, 'h')`,
    [articleSlug, `Escalate mail from ${alice.email} straight to the account team.`],
  );
  return { accountId, alice, bob, articleSlug };
}
