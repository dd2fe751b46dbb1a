import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import { withTransaction } from '../database.ts';
import { type World, type WorldInput, worldSchema } from './world-schema.ts';

/** A world fixture failed validation; `issues` name each bad field as a path like `payments[1].invoice`. */
export class WorldValidationError extends Error {
  override name = 'WorldValidationError';
  constructor(
    readonly issues: Array<{ path: string; message: string }>,
    source?: string,
  ) {
    super(
      `Invalid world${source ? ` in ${source}` : ''}: ${issues
        .slice(0, 5)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; ')}${issues.length > 5 ? ` (+${issues.length - 5} more)` : ''}`,
    );
  }
}

/** Formats a zod path as `world.payments[1].invoice`. */
export function formatPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : `${text}.${String(part)}`),
    prefix,
  );
}

export function formatIssues(prefix: string, error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return {
        path: formatPath(prefix, issue.path),
        message: `unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`,
      };
    }
    return { path: formatPath(prefix, issue.path), message: issue.message };
  });
}

/** Validates a world fixture (the format of docs/evals.md) without touching the database. */
export function parseWorld(input: unknown, source?: string): World {
  const parsed = worldSchema.safeParse(input ?? {});
  if (!parsed.success) throw new WorldValidationError(formatIssues('world', parsed.error), source);
  return parsed.data;
}

/** Receives the world's articles; the knowledge module chunks, embeds and indexes them. */
export type ArticleIngester = (articles: World['articles'], client: pg.PoolClient) => Promise<void>;

export interface LoadWorldOptions {
  /** Needed when the world has articles. */
  ingestArticles?: ArticleIngester;
  /** Where the fixture came from, for error messages. */
  source?: string;
}

/**
 * Validates `fixture` and inserts it into the (empty) systems in one transaction: either the whole
 * world is there afterwards, or none of it.
 */
export async function loadWorld(
  pool: pg.Pool,
  fixture: WorldInput | unknown,
  options: LoadWorldOptions = {},
): Promise<World> {
  const world = parseWorld(fixture, options.source);
  if (world.articles.length > 0 && !options.ingestArticles) {
    throw new WorldValidationError(
      [{ path: 'world.articles', message: 'articles given but no knowledge ingester was wired' }],
      options.source,
    );
  }
  await withTransaction(pool, async (client) => {
    await insertWorld(client, world);
    if (world.articles.length > 0) await options.ingestArticles!(world.articles, client);
  });
  return world;
}

async function insertRows(
  client: pg.PoolClient,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  // Batches keep each statement under PostgreSQL's 65,535-parameter limit.
  const batchSize = Math.max(1, Math.floor(5000 / columns.length));
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    const values: unknown[] = [];
    const tuples = batch.map((row) => {
      const placeholders = row.map((value) => {
        values.push(value);
        return `$${values.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }
}

async function insertWorld(client: pg.PoolClient, world: World): Promise<void> {
  await insertRows(
    client,
    'accounts',
    ['id', 'name', 'tier', 'region', 'owner_name', 'owner_email', 'created_at'],
    world.accounts.map((a) => [
      a.id,
      a.name,
      a.tier,
      a.region,
      a.owner_name ?? null,
      a.owner_email ?? null,
      a.created_at ?? new Date().toISOString(),
    ]),
  );
  await insertRows(
    client,
    'interactions',
    ['id', 'account_id', 'kind', 'body', 'author'],
    world.accounts.flatMap((a) =>
      (a.notes ?? []).map((note, index) => [
        `note_${a.id}_${index + 1}`,
        a.id,
        'note',
        note,
        a.owner_name ?? 'crm',
      ]),
    ),
  );
  await insertRows(
    client,
    'contacts',
    ['id', 'account_id', 'name', 'email', 'timezone', 'phone', 'title'],
    world.contacts.map((c) => [
      c.id,
      c.account,
      c.name,
      c.email,
      c.timezone,
      c.phone ?? null,
      c.title ?? null,
    ]),
  );
  await insertRows(
    client,
    'subscriptions',
    ['id', 'account_id', 'plan_id', 'status', 'period_start', 'period_end', 'cancel_at_period_end'],
    world.subscriptions.map((s) => [
      s.id,
      s.account,
      s.plan,
      s.status,
      s.period_start ?? null,
      s.period_end,
      s.cancel_at_period_end ?? false,
    ]),
  );
  await insertRows(
    client,
    'invoices',
    ['id', 'account_id', 'subscription_id', 'amount_cents', 'status', 'issued_at', 'due_at', 'description'],
    world.invoices.map((i) => [
      i.id,
      i.account,
      i.subscription ?? null,
      i.amount_cents,
      i.status,
      i.issued_at,
      i.due_at ?? null,
      i.description ?? null,
    ]),
  );
  await insertRows(
    client,
    'payments',
    ['id', 'invoice_id', 'amount_cents', 'status', 'failure_reason', 'card_last4', 'created_at'],
    world.payments.map((p) => [
      p.id,
      p.invoice,
      p.amount_cents,
      p.status,
      p.failure_reason ?? null,
      p.card_last4 ?? null,
      p.created_at,
    ]),
  );
  await insertRows(
    client,
    'incidents',
    ['id', 'title', 'status', 'severity', 'components', 'started_at', 'resolved_at', 'summary'],
    world.incidents.map((i) => [
      i.id,
      i.title,
      i.status,
      i.severity ?? 'SEV2',
      i.components ?? [],
      i.started_at,
      i.resolved_at ?? null,
      i.summary,
    ]),
  );
  await insertRows(
    client,
    'tickets',
    [
      'id',
      'account_id',
      'contact_id',
      'subject',
      'description',
      'status',
      'priority',
      'category',
      'assignee',
      'incident_id',
      'created_at',
      'updated_at',
    ],
    world.tickets.map((t) => [
      t.id,
      t.account,
      t.contact,
      t.subject,
      t.description ?? '',
      t.status,
      t.priority,
      t.category,
      t.assignee ?? null,
      t.incident ?? null,
      t.created_at,
      t.created_at,
    ]),
  );
  await insertRows(
    client,
    'engineers',
    ['id', 'name', 'email', 'timezone', 'hours_start', 'hours_end', 'days'],
    world.engineers.map((e) => [
      e.id,
      e.name,
      e.email,
      e.timezone,
      e.hours.slice(0, 5),
      e.hours.slice(6),
      e.days,
    ]),
  );
  await insertRows(
    client,
    'bookings',
    ['id', 'contact_id', 'engineer_id', 'start_at', 'end_at', 'status', 'topic'],
    world.bookings.map((b) => [b.id, b.contact, b.engineer, b.start, b.end, b.status, b.topic ?? null]),
  );
  if (Object.keys(world.policy).length > 0) {
    await client.query(
      `INSERT INTO settings (key, value) VALUES ('policy', $1)
       ON CONFLICT (key) DO UPDATE SET value = settings.value || EXCLUDED.value, updated_at = now()`,
      [JSON.stringify(world.policy)],
    );
  }
}

/** Tables that hold a world's state (everything but reference data and the migration ledger). */
export const worldTables = [
  'kb_chunks',
  'kb_articles',
  'kb_index',
  'eval_runs',
  'verification_codes',
  'escalations',
  'messages',
  'conversations',
  'email_outbox',
  'connector_cache',
  'audit_log',
  'idempotency_keys',
  'bookings',
  'engineers',
  'ticket_comments',
  'tickets',
  'incidents',
  'payment_links',
  'payment_retries',
  'plan_changes',
  'credits',
  'refunds',
  'payments',
  'invoices',
  'subscriptions',
  'interactions',
  'contacts',
  'accounts',
  'settings',
] as const;

/** Empties every world table (fast reset between eval scenarios); credentials, policies and humans stay. */
export async function clearWorld(pool: pg.Pool, options: { keepKnowledge?: boolean } = {}): Promise<void> {
  const tables = worldTables.filter((table) => !(options.keepKnowledge && table.startsWith('kb_')));
  await pool.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
}

/** Stable hash of a text, used for content hashes and argument hashes. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
