import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../../../db/database.ts';
import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { billing } from '../contract.ts';
import { hashPaymentLinkToken, signPaymentLinkToken } from '../payment-link-token.ts';
import { utcDate } from '../schemas.ts';

const linkLifetimeMs = 24 * 60 * 60 * 1000;

/** What the idempotency ledger keeps of a sent link: everything but the URL, whose token is a bearer secret. */
const keptLink = z.object({ link_id: z.string(), expires_at: z.string(), reused: z.boolean() });

/** Settings of the update-payment links. */
export interface PaymentLinkSettings {
  db: pg.Pool;
  /** HMAC key of the link tokens. */
  paymentLinkSecret: string;
  /** The page that takes the token, e.g. `https://billing.example.com/update-payment`. */
  paymentLinkBaseUrl: string;
}

/**
 * `billing.send_payment_link`: creates a signed update-payment link valid for 24 hours and returns
 * its URL; the agent emails it through the email connector. The same contact gets the same unused
 * link again on the same day, so a retry never mints a second one.
 *
 * The URL's token lets whoever holds it update the customer's card, so the idempotency ledger keeps
 * the link without it (`ledger`): a replay signs the token again from the link id and expiry under the
 * secret, which gives the same URL byte for byte (payment-link-token.ts) — and so the same email
 * idempotency key, so a replayed turn sends no second email.
 */
export function createSendPaymentLinkOperation(settings: PaymentLinkSettings) {
  const { db } = settings;
  const urlFor = (token: string) => {
    const url = new URL(settings.paymentLinkBaseUrl);
    url.searchParams.set('token', token);
    return url.toString();
  };
  const linkUrl = (linkId: string, expiresAt: Date) =>
    urlFor(signPaymentLinkToken(linkId, expiresAt, settings.paymentLinkSecret));
  return implement(billing.sendPaymentLink, {
    scopes: ['billing.write'],
    timeoutMs: 10_000,
    ledger: {
      keep: ({ url: _url, ...link }) => keptLink.parse(link),
      rebuild(kept) {
        const link = keptLink.parse(kept);
        return { ...link, url: linkUrl(link.link_id, new Date(link.expires_at)) };
      },
    },
    async run(input, context) {
      const now = context.now();
      return withTransaction(db, async (client) => {
        const contact = await client.query('SELECT id FROM contacts WHERE id = $1 FOR UPDATE', [
          input.contact_id,
        ]);
        if (contact.rowCount === 0) throw new ConnectorError('not_found', `No contact ${input.contact_id}.`);
        const dayStart = new Date(`${utcDate(now)}T00:00:00Z`);
        const existing = await client.query<{ id: string; expires_at: Date }>(
          `SELECT id, expires_at FROM payment_links
           WHERE contact_id = $1 AND used_at IS NULL AND created_at >= $2 AND created_at <= $3 AND expires_at > $3
           ORDER BY created_at DESC LIMIT 1`,
          [input.contact_id, dayStart, now],
        );
        const reusable = existing.rows[0];
        if (reusable) {
          const expiresAt = new Date(reusable.expires_at);
          return {
            link_id: reusable.id,
            url: linkUrl(reusable.id, expiresAt),
            expires_at: expiresAt.toISOString(),
            reused: true,
          };
        }
        const linkId = `pl_${randomBytes(12).toString('hex')}`;
        // Whole seconds: the token carries the expiry in seconds and must match the stored row.
        const expiresAt = new Date(Math.floor((now.getTime() + linkLifetimeMs) / 1000) * 1000);
        const token = signPaymentLinkToken(linkId, expiresAt, settings.paymentLinkSecret);
        await client.query(
          'INSERT INTO payment_links (id, contact_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
          [linkId, input.contact_id, hashPaymentLinkToken(token), expiresAt, now],
        );
        context.signal.throwIfAborted();
        return { link_id: linkId, url: urlFor(token), expires_at: expiresAt.toISOString(), reused: false };
      });
    },
  });
}
