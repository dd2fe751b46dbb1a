import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { AddressGuard } from '../../connectors/core/address-guard.ts';
import type { CredentialVault } from '../../connectors/core/vault.ts';
import type { WebhookEventType } from '../../db/webhook-events.ts';
import { generateWebhookSecret } from './signature.ts';

/** The vault's connector id for signing secrets (the field is the subscription id). */
export const secretVaultConnector = 'webhooks';

/** A subscription's health as the admin page shows it. */
export type SubscriptionState = 'healthy' | 'failing' | 'disabled';

/** A subscription as stored, without its secret (which never leaves the vault but once, at creation). */
export interface WebhookSubscription {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** `failing` once a delivery used up its attempts, until one succeeds again. */
  state: SubscriptionState;
  consecutiveFailures: number;
  failingSince: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

interface SubscriptionRow {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  consecutive_failures: number;
  failing_since: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (value: Date | null): string | null => (value ? new Date(value).toISOString() : null);

function subscriptionOf(row: SubscriptionRow): WebhookSubscription {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    state: !row.enabled ? 'disabled' : row.failing_since ? 'failing' : 'healthy',
    consecutiveFailures: row.consecutive_failures,
    failingSince: iso(row.failing_since),
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

/** What an admin may set on a subscription. */
export interface SubscriptionInput {
  url: string;
  events: WebhookEventType[];
  description?: string;
  enabled?: boolean;
}

/**
 * Subscriptions: created with a server-generated secret (returned once, stored encrypted in the
 * vault), listed and changed without it. Every URL is checked by the address guard when it is set
 * (and again at each delivery).
 */
export function createSubscriptionStore(deps: {
  pool: pg.Pool;
  vault: CredentialVault;
  guard: AddressGuard;
}) {
  const { pool, vault, guard } = deps;

  const get = async (id: string): Promise<WebhookSubscription | null> => {
    const { rows } = await pool.query<SubscriptionRow>('SELECT * FROM webhook_subscriptions WHERE id = $1', [
      id,
    ]);
    return rows[0] ? subscriptionOf(rows[0]) : null;
  };

  return {
    get,

    async list(): Promise<WebhookSubscription[]> {
      const { rows } = await pool.query<SubscriptionRow>(
        'SELECT * FROM webhook_subscriptions ORDER BY created_at, id',
      );
      return rows.map(subscriptionOf);
    },

    /** Creates a subscription; the secret in the answer is the only copy anyone will see. */
    async create(
      input: SubscriptionInput,
      createdBy: string,
    ): Promise<{ subscription: WebhookSubscription; secret: string }> {
      await guard.checkUrl(input.url);
      const id = `whs_${randomBytes(12).toString('hex')}`;
      const secret = generateWebhookSecret();
      // The secret first: a subscription row never exists without its key.
      await vault.put(secretVaultConnector, id, secret);
      try {
        await pool.query(
          `INSERT INTO webhook_subscriptions (id, url, description, events, enabled, created_by)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [id, input.url, input.description ?? '', input.events, input.enabled ?? true, createdBy],
        );
      } catch (error) {
        await vault.delete(secretVaultConnector, id);
        throw error;
      }
      return { subscription: (await get(id))!, secret };
    },

    /** Changes the URL, events, description or enabled flag; null when there is no such subscription. */
    async update(id: string, input: Partial<SubscriptionInput>): Promise<WebhookSubscription | null> {
      if (input.url !== undefined) await guard.checkUrl(input.url);
      const { rowCount } = await pool.query(
        `UPDATE webhook_subscriptions SET
           url = coalesce($2, url), events = coalesce($3, events), description = coalesce($4, description),
           enabled = coalesce($5, enabled), updated_at = now()
         WHERE id = $1`,
        [id, input.url ?? null, input.events ?? null, input.description ?? null, input.enabled ?? null],
      );
      return rowCount ? get(id) : null;
    },

    /** A new secret (the old one stops working at once); null when there is no such subscription. */
    async rotateSecret(id: string): Promise<string | null> {
      if (!(await get(id))) return null;
      const secret = generateWebhookSecret();
      await vault.put(secretVaultConnector, id, secret);
      return secret;
    },

    /** Deletes the subscription, its deliveries and its secret; the events stay. */
    async remove(id: string): Promise<boolean> {
      const { rowCount } = await pool.query('DELETE FROM webhook_subscriptions WHERE id = $1', [id]);
      if (!rowCount) return false;
      await vault.delete(secretVaultConnector, id);
      return true;
    },
  };
}

export type SubscriptionStore = ReturnType<typeof createSubscriptionStore>;
