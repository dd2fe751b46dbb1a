import type pg from 'pg';
import type { Logger } from 'pino';
import { createAddressGuard } from '../../connectors/core/address-guard.ts';
import type { CredentialVault } from '../../connectors/core/vault.ts';
import type { JobQueue } from '../catalog.ts';
import { createWebhookDispatcher } from './deliveries.ts';
import { createDeliveryLog } from './delivery-log.ts';
import { defaultOutboundWebhookSettings, type OutboundWebhookSettings } from './settings.ts';
import { createSubscriptionStore } from './subscriptions.ts';

export { BlockedAddressError } from '../../connectors/core/address-guard.ts';
export type { DeliveryStatus, WebhookEnvelope } from './deliveries.ts';
export type { DeliveryAttempt, DeliverySummary } from './delivery-log.ts';
export { defaultOutboundWebhookSettings, type OutboundWebhookSettings } from './settings.ts';
export type { SubscriptionInput, WebhookSubscription } from './subscriptions.ts';

/**
 * Signed outbound webhooks (docs/webhooks.md): subscriptions, the dispatcher the `webhook.*` jobs
 * run, and the delivery log the admin page reads. One per process, built by the composition root.
 */
export function createOutboundWebhooks(deps: {
  pool: pg.Pool;
  vault: CredentialVault;
  jobs: JobQueue;
  settings?: Partial<OutboundWebhookSettings>;
  logger?: Logger;
}) {
  const settings: OutboundWebhookSettings = { ...defaultOutboundWebhookSettings, ...deps.settings };
  const guard = createAddressGuard({
    allowList: settings.allowList,
    setting: 'WEBHOOK_ALLOWED_HOSTS',
    ...(settings.resolver ? { resolver: settings.resolver } : {}),
  });
  return {
    settings,
    subscriptions: createSubscriptionStore({ pool: deps.pool, vault: deps.vault, guard }),
    dispatcher: createWebhookDispatcher({
      pool: deps.pool,
      vault: deps.vault,
      jobs: deps.jobs,
      guard,
      settings,
      ...(deps.logger ? { logger: deps.logger } : {}),
    }),
    log: createDeliveryLog(deps.pool),
  };
}

export type OutboundWebhooks = ReturnType<typeof createOutboundWebhooks>;
