import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { createSupportAgent } from '../agent/create-agent.ts';
import type { DeclarativeProcedures } from '../agent/procedures/declarative/loader.ts';
import type { IntentClassifier } from '../agent/reasoner/local/intent-classifier.ts';
import type { IdentityProvisioner } from '../connectors/backends/directory.ts';
import type { SelectableKind } from '../connectors/backends/kinds.ts';
import type { BackendSelection } from '../connectors/backends/selection.ts';
import type { ManagedConnectorGateway } from '../connectors/core/connector-gateway.ts';
import type { ConnectorDefinition } from '../connectors/core/definition.ts';
import type { FaultInjector } from '../connectors/core/faults.ts';
import type { CredentialVault } from '../connectors/core/vault.ts';
import type { CustomConnectorSync } from '../connectors/custom/sync.ts';
import type { EmailDispatcher } from '../connectors/email/dispatcher.ts';
import type { GoogleWorkspace } from '../connectors/google/auth/google-connection.ts';
import type { GmailPushVerifier } from '../connectors/google/gmail/push.ts';
import type { CsatLinkKeys } from '../conversations/csat-link.ts';
import type { DirectConversations } from '../conversations/direct.ts';
import type { EventBus } from '../conversations/live-events.ts';
import type { ConversationLock } from '../conversations/lock.ts';
import type { createConversationStore } from '../conversations/store.ts';
import type { ConversationMailer } from '../conversations/turns.ts';
import type { Database } from '../db/database.ts';
import type { JobQueue } from '../jobs/catalog.ts';
import type { OutboundWebhookSettings, OutboundWebhooks } from '../jobs/webhooks/index.ts';
import type { CustomerIdentity } from './customer/identity.ts';

/**
 * The services one composition (app/wiring.ts `createSwitchboard`) builds on a database: what the
 * routes and the job handlers use of it.
 */
export interface Switchboard {
  gateway: ManagedConnectorGateway;
  agent: ReturnType<typeof createSupportAgent>;
  /** The conversation row's store (conversations/store.ts): the turn processor writes each turn's end with it. */
  store: ReturnType<typeof createConversationStore>;
  /** Conversations driven in this process (terminal chat, eval runner, benchmarks). */
  conversations: DirectConversations;
  faults: FaultInjector;
  classifier: IntentClassifier | null;
  /** The admin's declarative procedures (docs/procedures.md): validated, then loaded into the agent. */
  procedures: DeclarativeProcedures;
  dispatcher: EmailDispatcher;
  registry: Registry;
  /**
   * Our contact for an email address, taken from the CRM backend when our directory does not know
   * it yet (identity tokens, one-time codes, inbound mail): connectors/backends/directory.ts.
   */
  identities: IdentityProvisioner;
  /** Runs `kind` on another backend from now on (null: its built-in backend). */
  useBackend(kind: SelectableKind, definition: ConnectorDefinition | null): void;
  close(): Promise<void>;
}

/** Settings the routes act on (from `config/api.ts`). */
export interface ApiSettings {
  mode: 'embedded' | 'production';
  /** Fault injection endpoints exist (embedded default, tests; production only when allowed). */
  faultInjection: boolean;
  /** Send cookies with `Secure` (production behind TLS). */
  secureCookies: boolean;
  /** How long a human agent's session lasts without use. */
  sessionTtlMs: number;
  /**
   * How long a customer's conversation access token lasts without use (sliding; default 30 days,
   * `CONVERSATION_TOKEN_TTL_DAYS`; api/customer/conversations.ts).
   */
  conversationTokenTtlMs?: number;
  rateLimit: { perIpPerMinute: number; messagesPerConversationPerMinute: number };
  /**
   * Origins whose pages may call the customer API (the embeddable widget): `*` is safe because a
   * conversation is opened by its bearer token, never by a cookie.
   */
  widgetOrigins: '*' | string[];
  /**
   * A bearer token that may read `/metrics` (a Prometheus scraper's `authorization` credentials);
   * unset, only a signed-in admin may. Never logged.
   */
  metricsToken?: string;
  /** How long a streamed reply waits for the worker before telling the client to follow `/events`. */
  turnStreamTimeoutMs: number;
  /** Stripe webhooks in (`POST /api/webhooks/stripe`, api/routes/webhooks.ts); every field optional. */
  stripeWebhooks?: StripeWebhookSettings;
  /**
   * The DATA_DIR the embedded outbox writes `.eml` files under (no SMTP_URL), so erasing a contact
   * removes those copies too (api/admin/privacy-routes.ts); unset when mail goes out over SMTP.
   */
  outboxDataDir?: string;
  /** Outbound webhook delivery (WEBHOOK_* settings; jobs/webhooks/settings.ts): unset fields take defaults. */
  outboundWebhooks?: Partial<OutboundWebhookSettings>;
  /**
   * Hosts that custom HTTP connectors and OpenAPI imports may reach although they resolve to a
   * private, loopback or link-local address (`CUSTOM_CONNECTOR_ALLOWED_HOSTS`); unset: none.
   */
  customConnectorAllowedHosts?: string[];
  /**
   * What the customer chat shows when a person takes over: the usual reply time and the team's hours
   * (`SUPPORT_REPLY_WITHIN_MINUTES`, `SUPPORT_HOURS`; config/support-hours.ts). Unset: nothing promised.
   */
  supportHours?: { replyWithinMinutes?: number; hours?: string };
}

/**
 * Overrides for the Stripe webhook route (tests); unset fields are the Stripe billing backend's
 * settings (`backends.settingsOf`: environment, else what the admin stored).
 */
export interface StripeWebhookSettings {
  /** The endpoint's signing secret (`whsec_…`); else the backend's `webhook_secret` (STRIPE_WEBHOOK_SECRET or stored). */
  endpointSecret?: string;
  /** Largest age (seconds) of a signature's timestamp; Stripe's default 300. */
  toleranceSeconds?: number;
  /** A Stripe key to look customers up with; else the Stripe billing backend's (`backends.settingsOf`). */
  apiKey?: string;
  /** Stripe's API base (a fake in tests); else the Stripe billing backend's, else Stripe's. */
  apiBase?: string;
}

/** Everything a route needs, built once by `app/server-main.ts` (or a test). */
export interface ApiContext {
  database: Database;
  switchboard: Switchboard;
  jobs: JobQueue;
  bus: EventBus;
  /** The lock agent turns run under: anything else that changes a conversation's graph takes it too. */
  conversationLock: ConversationLock;
  identity: CustomerIdentity;
  /** Connector credentials, encrypted at rest (admin routes write them; nothing reads them back out). */
  vault: CredentialVault;
  settings: ApiSettings;
  /** This runtime's id: the origin of the control events it publishes (it skips its own). */
  instanceId: string;
  /** Which backend each selectable kind runs on (the admin page reads and changes it). */
  backends: BackendSelection;
  /** The admin's custom connectors as this process runs them (reloaded after each change). */
  customConnectors: CustomConnectorSync;
  /** Signed outbound webhooks: subscriptions, redelivery and the delivery log (jobs/webhooks/). */
  webhooks: OutboundWebhooks;
  /** The keys of the email channel's signed rating links (conversations/csat-link.ts). */
  csatLinks: CsatLinkKeys;
  /** The email outbox a human's reply in an email conversation is queued on (none: nothing is mailed). */
  mail?: ConversationMailer;
  /**
   * The Google Workspace connection (connectors/google/auth/): Gmail, Calendar and Drive ask it for
   * tokens; the admin page connects and disconnects it. Unset in contexts built without one.
   */
  google?: GoogleWorkspace;
  /**
   * Verifies Gmail's Pub/Sub pushes to `POST /api/webhooks/gmail` (connectors/google/gmail/push.ts);
   * unset when push is not configured (the endpoint then refuses every push).
   */
  gmailPush?: GmailPushVerifier;
}

/** The Fastify instance routes are registered on: zod schemas type requests and replies. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** One group of routes (`api/routes/*.ts`). */
export type RouteGroup = (app: ApiApp, context: ApiContext) => Promise<void>;

export const defaultApiSettings: ApiSettings = {
  mode: 'embedded',
  faultInjection: true,
  secureCookies: false,
  sessionTtlMs: 8 * 60 * 60_000,
  rateLimit: { perIpPerMinute: 600, messagesPerConversationPerMinute: 30 },
  widgetOrigins: '*',
  turnStreamTimeoutMs: 60_000,
};
