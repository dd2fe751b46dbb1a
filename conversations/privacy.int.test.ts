import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emlPathFor } from '../connectors/email/transport.ts';
import type { Database } from '../db/database.ts';
import { createTestDatabase, testDatabaseKind } from '../test/support/database.ts';
import {
  emailDigest,
  eraseContact,
  erasedEmailOf,
  erasedMark,
  exportContact,
  PrivacyError,
  type PrivacyExport,
  tombstone,
} from './privacy.ts';
import { type PrivacyWorld, seedPrivacyWorld } from './testing/privacy-world.ts';

let database: Database;
let world: PrivacyWorld;
let dataDir: string;
const admin = { kind: 'human', id: 'hum_admin', email: 'admin@lumen.example' } as const;

/** An export without its generation time, to compare two of them. */
const stable = (document: PrivacyExport) => ({ ...document, generatedAt: 'x' });

beforeAll(async () => {
  database = await createTestDatabase();
  world = await seedPrivacyWorld(database.pool, '', new Date('2026-01-10T10:00:00Z'));
  dataDir = await mkdtemp(path.join(tmpdir(), 'sb-privacy-'));
  await mkdir(path.join(dataDir, 'outbox'), { recursive: true });
  for (const person of [world.alice, world.bob])
    await writeFile(emlPathFor(dataDir, person.outboxMessageId), `To: ${person.email}\n\nhello`);
}, 60_000);

afterAll(async () => {
  await database?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe(`privacy operations (${testDatabaseKind()})`, () => {
  it('exports exactly the contact’s data: every kind, none of the colleague’s, no secrets', async () => {
    const document = await exportContact(database.pool, { contactId: world.alice.contactId });
    const text = JSON.stringify(document);
    expect(document.contact).toMatchObject({
      id: world.alice.contactId,
      email: world.alice.email,
      phone: '+1 555 0100',
    });
    expect(document.account).toMatchObject({
      id: world.accountId,
      contactIsOwner: true,
      ownerEmail: world.alice.email,
    });
    expect(document.conversations.map((conversation) => conversation.id)).toEqual([
      world.alice.conversationId,
    ]);
    const [conversation] = document.conversations;
    expect(conversation!.messages.map((message) => message.role)).toEqual(['customer', 'agent', 'customer']);
    // The stored original of the inbound mail: its sender and subject as received.
    expect(conversation!.messages[0]!.metadata).toMatchObject({
      from: world.alice.email,
      subject: 'Charged twice',
    });
    expect(conversation!.escalations).toHaveLength(1);
    expect(conversation!.agentCheckpoints).toBe(2);
    expect(conversation!.accessToken).toMatchObject({ issued: true });
    expect(document.verificationCodes).toHaveLength(1);
    expect(document.paymentLinks).toHaveLength(1);
    expect(document.tickets.map((ticket) => ticket.id)).toEqual([world.alice.ticketId]);
    expect(document.tickets[0]!.comments).toHaveLength(1);
    expect(document.interactions).toHaveLength(1);
    expect(document.bookings).toHaveLength(1);
    expect(document.auditEntries.map((entry) => entry.operation)).toEqual([
      'refund_payment',
      'lookup_identity',
    ]);
    expect(document.idempotencyRecords.map((record) => record.key)).toEqual([world.alice.idempotencyKey]);
    expect(document.outboxEmails.map((mail) => mail.messageId)).toEqual([world.alice.outboxMessageId]);
    expect(document.knowledgeDocuments.map((article) => article.slug)).toEqual([world.articleSlug]);
    // Nothing of Bob's, and no secret (token, code or link hashes, the hash of a masked code).
    for (const foreign of [world.bob.email, world.bob.contactId, world.bob.conversationId, 'Bob Baker'])
      expect(text).not.toContain(foreign);
    for (const secret of [
      'token-hash-secret',
      'code-hash-secret',
      'link-hash-secret',
      'c0ffee-hash-of-a-code',
    ])
      expect(text).not.toContain(secret);
    // By address it is the same document, in the same order.
    const byEmail = await exportContact(database.pool, { email: world.alice.email.toUpperCase() });
    expect(stable(byEmail)).toEqual(stable(document));
  });

  it('refuses an unknown contact and a confirmation that is not the contact’s address, changing nothing', async () => {
    await expect(exportContact(database.pool, { contactId: 'ct_nobody' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      eraseContact(
        database.pool,
        { email: 'nobody@privacy.example' },
        { confirmation: 'nobody@privacy.example', actor: admin },
      ),
    ).rejects.toBeInstanceOf(PrivacyError);
    const before = await exportContact(database.pool, { contactId: world.alice.contactId });
    await expect(
      eraseContact(
        database.pool,
        { contactId: world.alice.contactId },
        { confirmation: world.bob.email, actor: admin },
      ),
    ).rejects.toMatchObject({ code: 'confirmation_mismatch' });
    const after = await exportContact(database.pool, { contactId: world.alice.contactId });
    expect(stable(after)).toEqual(stable(before));
  });

  it('erases every kind of the contact’s data, keeps what accounting needs anonymised, and leaves the colleague untouched', async () => {
    const bobBefore = await exportContact(database.pool, { contactId: world.bob.contactId });
    const result = await eraseContact(
      database.pool,
      { contactId: world.alice.contactId },
      { confirmation: ` ${world.alice.email.toUpperCase()} `, actor: admin, dataDir },
    );
    expect(result.alreadyErased).toBe(false);
    expect(result.counts).toEqual({
      contact: 1,
      accountOwner: 1,
      conversations: 1,
      messages: 3,
      escalations: 1,
      verificationCodes: 1,
      checkpoints: 2,
      outboxEmails: 1,
      outboxFiles: 1,
      auditEntries: 2,
      idempotencyRecords: 1,
      tickets: 1,
      ticketComments: 1,
      interactions: 1,
      bookings: 1,
      paymentLinks: 1,
      knowledgeDocuments: 1,
    });
    const { pool } = database;
    const count = async (sql: string, values: unknown[]) =>
      Number((await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${sql}`, values)).rows[0]!.n);
    const alice = world.alice;
    expect(await count('conversations WHERE id = $1', [alice.conversationId])).toBe(0);
    expect(await count('messages WHERE conversation_id = $1', [alice.conversationId])).toBe(0);
    expect(await count('escalations WHERE conversation_id = $1', [alice.conversationId])).toBe(0);
    expect(await count('verification_codes WHERE contact_id = $1', [alice.contactId])).toBe(0);
    for (const table of ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes'])
      expect(await count(`${table} WHERE thread_id = $1`, [alice.conversationId]), table).toBe(0);
    expect(await count('email_outbox WHERE lower(to_address) = $1', [alice.email])).toBe(0);
    expect(existsSync(emlPathFor(dataDir, alice.outboxMessageId))).toBe(false);
    expect(await count('interactions WHERE contact_id = $1', [alice.contactId])).toBe(0);
    expect(await count('payment_links WHERE contact_id = $1', [alice.contactId])).toBe(0);
    expect(await count('kb_articles WHERE slug = $1', [world.articleSlug])).toBe(0);
    // Kept, anonymised: the contact row, the ticket, the booking, the audit rows, the ledger record.
    const contact = (await pool.query('SELECT * FROM contacts WHERE id = $1', [alice.contactId])).rows[0];
    expect(contact).toMatchObject({
      name: erasedMark,
      email: erasedEmailOf(alice.contactId),
      phone: null,
      title: null,
    });
    const account = (await pool.query('SELECT * FROM accounts WHERE id = $1', [world.accountId])).rows[0];
    expect(account).toMatchObject({ owner_name: null, owner_email: null, name: 'Privacy Co' });
    const ticket = (await pool.query('SELECT * FROM tickets WHERE id = $1', [alice.ticketId])).rows[0];
    expect(ticket).toMatchObject({ subject: erasedMark, description: erasedMark, status: 'solved' });
    const comment = (
      await pool.query('SELECT body FROM ticket_comments WHERE ticket_id = $1', [alice.ticketId])
    ).rows[0];
    expect(comment.body).toBe(erasedMark);
    const booking = (
      await pool.query('SELECT topic, status FROM bookings WHERE contact_id = $1', [alice.contactId])
    ).rows[0];
    expect(booking).toEqual({ topic: erasedMark, status: 'confirmed' });
    const ledger = (
      await pool.query('SELECT result, status FROM idempotency_keys WHERE key = $1', [alice.idempotencyKey])
    ).rows[0];
    expect(ledger).toEqual({
      status: 'completed',
      result: { refund_id: 're_alice', amount_cents: 9900, receipt_email: erasedMark },
    });
    const audit = (
      await pool.query(`SELECT detail, latency_ms FROM audit_log WHERE connector_id <> 'privacy' ORDER BY id`)
    ).rows;
    const aliceAudit = audit.filter((row) => row.detail.privacy_erased === true);
    expect(aliceAudit).toHaveLength(2);
    expect(aliceAudit[0]!.detail).toEqual({
      input: { payment_id: 'pay_alice', amount_cents: 9900, note: erasedMark },
      privacy_erased: true,
    });
    expect(aliceAudit[0]!.latency_ms).toBe(12.5);
    const everything = JSON.stringify(
      (await pool.query(`SELECT detail FROM audit_log`)).rows.concat(
        (await pool.query('SELECT result FROM idempotency_keys')).rows,
        (await pool.query('SELECT * FROM tickets')).rows,
        (await pool.query('SELECT * FROM contacts')).rows,
        (await pool.query('SELECT * FROM privacy_erasures')).rows,
      ),
    );
    expect(everything).not.toContain(alice.email);
    expect(everything).not.toContain('Alice');
    // Bob's data is as it was.
    const bobAfter = await exportContact(database.pool, { contactId: world.bob.contactId });
    expect(stable(bobAfter)).toEqual(stable(bobBefore));
    expect(existsSync(emlPathFor(dataDir, world.bob.outboxMessageId))).toBe(true);
  });

  it('audits the erasure: who, which contact id, when and the counts, without the personal data', async () => {
    const { rows } = await database.pool.query(
      `SELECT actor, account_id, operation, outcome, at, detail FROM audit_log WHERE connector_id = 'privacy' ORDER BY id`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor: 'human',
      operation: 'contact.erase',
      outcome: 'erased',
      account_id: world.accountId,
    });
    expect(rows[0].detail).toMatchObject({
      contact_id: world.alice.contactId,
      erased_by: { human_id: admin.id, human_email: admin.email },
      already_erased: false,
      counts: { conversations: 1, messages: 3 },
    });
    expect(JSON.stringify(rows[0].detail)).not.toContain(world.alice.email);
    const erasure = (await database.pool.query('SELECT * FROM privacy_erasures')).rows;
    expect(erasure).toEqual([
      expect.objectContaining({
        contact_id: world.alice.contactId,
        email_sha256: emailDigest(world.alice.email),
        erased_by: `human:${admin.id}`,
      }),
    ]);
  });

  it('erasing twice is fine: found again by the old address, nothing left to remove, audited again', async () => {
    const again = await eraseContact(
      database.pool,
      { email: world.alice.email },
      { confirmation: world.alice.email, actor: { kind: 'system', name: 'cli' } },
    );
    expect(again.alreadyErased).toBe(true);
    expect(again.contactId).toBe(world.alice.contactId);
    expect(Object.values(again.counts).every((count) => count === 0)).toBe(true);
    // By id, the old address still confirms (by its digest); another does not.
    await expect(
      eraseContact(
        database.pool,
        { contactId: world.alice.contactId },
        { confirmation: world.bob.email, actor: admin },
      ),
    ).rejects.toMatchObject({ code: 'confirmation_mismatch' });
    const audited = await database.pool.query(
      `SELECT detail FROM audit_log WHERE connector_id = 'privacy' AND operation = 'contact.erase' ORDER BY id`,
    );
    expect(audited.rows.map((row) => row.detail.already_erased)).toEqual([false, true]);
    expect(audited.rows[1].detail.erased_by).toEqual({ system: 'cli' });
    // What remains exported: the anonymised rows only.
    const remains = await exportContact(database.pool, { email: world.alice.email });
    expect(remains.erasure).not.toBeNull();
    expect(remains.conversations).toEqual([]);
    expect(remains.contact.name).toBe(erasedMark);
    expect(JSON.stringify(remains)).not.toContain('Alice');
  });

  it('a tombstone keeps ids, amounts, states and timestamps, and is stable', () => {
    const value = {
      refund_id: 're_1',
      amount_cents: 500,
      status: 'succeeded',
      created_at: '2026-01-01T00:00:00Z',
      email: 'x@y.z',
      lines: [{ description: 'Pro plan', qty: 2 }],
      note: null,
    };
    const once = tombstone(value);
    expect(once).toEqual({
      refund_id: 're_1',
      amount_cents: 500,
      status: 'succeeded',
      created_at: '2026-01-01T00:00:00Z',
      email: erasedMark,
      lines: [{ description: erasedMark, qty: 2 }],
      note: null,
    });
    expect(tombstone(once)).toEqual(once);
  });
});
