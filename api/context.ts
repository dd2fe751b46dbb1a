import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CredentialVault } from '../connectors/core/vault.ts';
import type { Database } from '../db/database.ts';
import type { JobQueue } from '../jobs/catalog.ts';
import type { ConversationLock } from '../jobs/conversation-lock.ts';
import type { EventBus } from '../jobs/live-events.ts';
import type { CustomerIdentity } from './customer/identity.ts';
import type { Switchboard } from './wiring.ts';

/** Settings the routes act on (from `config/api.ts`). */
export interface ApiSettings {
  mode: 'embedded' | 'production';
  /** Fault injection endpoints exist (embedded default, tests; production only when allowed). */
  faultInjection: boolean;
  /** Send cookies with `Secure` (production behind TLS). */
  secureCookies: boolean;
  /** How long a human agent's session lasts without use. */
  sessionTtlMs: number;
  rateLimit: { perIpPerMinute: number; messagesPerConversationPerMinute: number };
  /**
   * Origins whose pages may call the customer API (the embeddable widget): `*` is safe because a
   * conversation is opened by its bearer token, never by a cookie.
   */
  widgetOrigins: '*' | string[];
  /** How long a streamed reply waits for the worker before telling the client to follow `/events`. */
  turnStreamTimeoutMs: number;
}

/** Everything a route needs, built once by `api/main.ts` (or a test). */
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
