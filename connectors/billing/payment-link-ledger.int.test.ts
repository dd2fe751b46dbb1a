import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKey } from '../../agent/nodes/finish-procedure.ts';
import type { Database } from '../../db/database.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import { createTestDatabase, testDatabaseKind } from '../../test/support/database.ts';
import { customerSession } from '../builtin-test-world.ts';
import { createConnectorGateway, type ManagedConnectorGateway } from '../core/connector-gateway.ts';
import { createEmailConnector } from '../email/connector.ts';
import { email } from '../email/contract.ts';
import { createEmailTransport } from '../email/transport.ts';
import { billing } from './contract.ts';
import { type BillingConnector, billingPolicy, createBillingConnector } from './index.ts';

const now = new Date('2026-11-20T09:00:00Z');
const secret = 'payment-link-ledger-test-secret-0123456789';

/**
 * The update-payment link's token is a bearer secret: after the link was sent, neither the
 * idempotency ledger nor the audit log holds it, and a replay under the same key still gives the
 * working link — the very same URL, so the email keyed on it is not sent twice (issue #20, item 10).
 */
describe(`the payment link's token stays out of the ledger and the audit on ${testDatabaseKind()}`, () => {
  let database: Database;
  let connector: BillingConnector;
  let gateway: ManagedConnectorGateway;
  let outboxDir: string;
  const session = customerSession('ct_1', 'acc_1', { conversationId: 'conv_link' });
  const linkKey = 'conv_link:billing.send_payment_link:k1';

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadWorld(database.pool, {
      accounts: [{ id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' }],
      contacts: [{ id: 'ct_1', account: 'acc_1', name: 'Maya Chen', email: 'maya@brightpath.io' }],
    });
    outboxDir = await mkdtemp(path.join(tmpdir(), 'sb-link-ledger-'));
    connector = createBillingConnector({
      db: database.pool,
      paymentLinkSecret: secret,
      paymentLinkBaseUrl: 'https://billing.example.test/update-payment',
    });
    gateway = createConnectorGateway({
      db: database.pool,
      connectors: [
        connector,
        createEmailConnector({ db: database.pool, transport: createEmailTransport({ dataDir: outboxDir }) }),
      ],
      policies: { billing: billingPolicy },
      now: () => now,
      audit: { mode: 'sync' },
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await database?.close();
    if (outboxDir) await rm(outboxDir, { recursive: true, force: true });
  });

  /**
   * The link, then its email under the key the agent derives from the email's variables (the URL
   * among them: agent/nodes/finish-procedure.ts) — the two writes of the payment-failed procedure.
   */
  async function sendLinkAndEmail() {
    const link = await gateway.call(session, billing.sendPaymentLink, {}, { idempotencyKey: linkKey });
    if (link.status !== 'ok') throw new Error(`send_payment_link: ${JSON.stringify(link)}`);
    const variables = { url: link.data.url, expires_at: link.data.expires_at };
    const mail = await gateway.call(
      session,
      email.send,
      { template: 'payment_link', variables },
      { idempotencyKey: writeKey('conv_link', 'email', 'payment_link', variables) },
    );
    if (mail.status !== 'ok') throw new Error(`email.send: ${JSON.stringify(mail)}`);
    return { link: link.data, replayed: !link.stale && link.replayed, mail: mail.data };
  }

  it('keeps no token in the ledger or the audit log, and a replay returns the same working link without a second email', async () => {
    const first = await sendLinkAndEmail();
    expect(first.replayed).toBe(false);
    const token = new URL(first.link.url).searchParams.get('token')!;
    expect(token).toMatch(/^pl_[0-9a-f]+\.\d+\.[A-Za-z0-9_-]{43}$/);
    const signature = token.split('.')[2]!;

    // Every text of both tables, whole rows as JSON: neither the token nor its signature is there.
    const ledger = await database.pool.query(`SELECT to_jsonb(k)::text AS row FROM idempotency_keys k`);
    const audit = await database.pool.query(`SELECT to_jsonb(a)::text AS row FROM audit_log a`);
    expect(ledger.rows.length).toBe(2);
    expect(audit.rows.length).toBe(2);
    for (const { row } of [...ledger.rows, ...audit.rows]) {
      expect(row).not.toContain(signature);
      expect(row).not.toContain(token);
    }
    // What the ledger does keep of the link: enough to sign it again, nothing that opens it.
    const kept = await database.pool.query(`SELECT result FROM idempotency_keys WHERE key = $1`, [linkKey]);
    expect(kept.rows[0].result).toEqual({
      data: { link_id: first.link.link_id, expires_at: first.link.expires_at, reused: false },
    });

    // A replay (a worker retrying the turn): the same URL, rebuilt, and the email is not sent again.
    const again = await sendLinkAndEmail();
    expect(again.replayed).toBe(true);
    expect(again.link).toEqual(first.link);
    expect(again.mail.message_id).toBe(first.mail.message_id);
    const outbox = await database.pool.query(`SELECT text_body FROM email_outbox`);
    expect(outbox.rows).toHaveLength(1);
    expect(outbox.rows[0].text_body).toContain(first.link.url);
    expect(await database.pool.query('SELECT count(*)::int AS n FROM payment_links')).toMatchObject({
      rows: [{ n: 1 }],
    });

    // The replayed link works: its token verifies against the stored link, for this contact.
    const replayedToken = new URL(again.link.url).searchParams.get('token')!;
    expect(await connector.verifyPaymentLink(replayedToken, now)).toEqual({
      valid: true,
      link_id: first.link.link_id,
      contact_id: 'ct_1',
      expires_at: first.link.expires_at,
    });
  });

  it('refuses to replay a ledger row that no longer describes a link, rather than return a broken URL', async () => {
    await database.pool.query(
      `UPDATE idempotency_keys SET result = '{"data":{"link_id":1}}' WHERE key = $1`,
      [linkKey],
    );
    const replay = await gateway.call(session, billing.sendPaymentLink, {}, { idempotencyKey: linkKey });
    expect(replay).toMatchObject({ status: 'error', error: { kind: 'permanent' } });
    expect(replay.status === 'error' && replay.error.message).toMatch(/cannot be rebuilt/);
  });

  it('rebuilds the link from a row written before the ledger dropped the URL, ignoring the stored one', async () => {
    const [link] = (await database.pool.query(`SELECT id, expires_at FROM payment_links`)).rows;
    await database.pool.query(`UPDATE idempotency_keys SET result = $2 WHERE key = $1`, [
      linkKey,
      JSON.stringify({
        data: {
          link_id: link.id,
          url: 'https://evil.example/?token=forged',
          expires_at: new Date(link.expires_at).toISOString(),
          reused: false,
        },
      }),
    ]);
    const replay = await gateway.call(session, billing.sendPaymentLink, {}, { idempotencyKey: linkKey });
    if (replay.status !== 'ok') throw new Error(JSON.stringify(replay));
    expect(replay.data.url.startsWith('https://billing.example.test/update-payment?token=')).toBe(true);
    const token = new URL(replay.data.url).searchParams.get('token')!;
    expect(await connector.verifyPaymentLink(token, now)).toMatchObject({ valid: true, link_id: link.id });
  });
});
