import type pg from 'pg';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { SingleStatementPostgresSaver } from '../agent/checkpointer.ts';
import { createSupportAgent } from '../agent/create-agent.ts';
import { createDeclarativeProcedures } from '../agent/procedures/declarative/loader.ts';
import { createProcedureRegistry } from '../agent/procedures/registry.ts';
import { exemplars } from '../agent/reasoner/local/exemplars.ts';
import {
  createIntentClassifier,
  type IntentClassifier,
  type IntentRanker,
} from '../agent/reasoner/local/intent-classifier.ts';
import { createLocalReasoner } from '../agent/reasoner/local/local-reasoner.ts';
import type { Reasoner } from '../agent/reasoner/reasoner.ts';
import type { Switchboard } from '../api/context.ts';
import { createIdentityProvisioner } from '../connectors/backends/directory.ts';
import type { SelectableKind } from '../connectors/backends/kinds.ts';
import { createBillingConnector } from '../connectors/billing/index.ts';
import { billingPolicy } from '../connectors/billing/policy.ts';
import { createBuiltinCalendarConnector } from '../connectors/calendar/index.ts';
import { crm } from '../connectors/contracts.ts';
import { createConnectorGateway } from '../connectors/core/connector-gateway.ts';
import type { CallerSession, ConnectorDefinition } from '../connectors/core/definition.ts';
import { createFaultInjector, type FaultInjector } from '../connectors/core/faults.ts';
import type { SharedCircuitStore } from '../connectors/core/shared-circuit.ts';
import { createCrmConnector } from '../connectors/crm/index.ts';
import { crmPolicy } from '../connectors/crm/policy.ts';
import { createEmailConnector, defaultSender } from '../connectors/email/connector.ts';
import { createEmailDispatcher } from '../connectors/email/dispatcher.ts';
import type { ReplyTokenKeys } from '../connectors/email/message-id.ts';
import { createOutbox } from '../connectors/email/outbox.ts';
import { createEmailTransport, type EmailTransport } from '../connectors/email/transport.ts';
import { createTicketingConnector } from '../connectors/ticketing/index.ts';
import { ticketingPolicy } from '../connectors/ticketing/policy.ts';
import { createDirectConversations } from '../conversations/direct.ts';
import { createConversationStore, createCustomerDirectory } from '../conversations/store.ts';
import type { Database } from '../db/database.ts';
import { readPolicy } from '../db/world/policy.ts';
import { createAnswerSupport } from '../knowledge/answer.ts';
import { createKnowledgeConnector } from '../knowledge/connector.ts';
import type { Embedder } from '../knowledge/embedder.ts';
import { sharedLocalEmbedder } from '../knowledge/local-embedder.ts';
import { createKnowledgeSearch } from '../knowledge/search.ts';

/** What the composition root needs to know; every entry point (API, worker, evals, chat) builds one. */
export interface SwitchboardOptions {
  database: Database;
  dataDir: string;
  mode: 'embedded' | 'production';
  /** The clock connectors and the agent see (eval scenarios fix it). */
  now?: () => Date;
  reasoner?: Reasoner;
  embedder?: Embedder;
  /** Arms fault injection (tests, evals); refused in production unless allowed. */
  faults?: { enabled: boolean; allowInProduction?: boolean };
  /** Remove every write-capable connector: the kb-only baseline. */
  kbOnly?: boolean;
  smtpUrl?: string;
  /**
   * Where the outbox delivers instead of SMTP / the local folder: the Gmail sender when
   * `EMAIL_SENDER=gmail` (connectors/google/gmail/transport.ts).
   */
  emailTransport?: EmailTransport;
  /**
   * Signs our outgoing Message-IDs (connectors/email/message-id.ts); whatever receives the replies
   * must verify with the same keys. The API runtime derives them from the master key; without them a
   * key made up for this process is used (evals, the terminal chat).
   */
  replyTokens?: ReplyTokenKeys;
  paymentLinkSecret?: string;
  paymentLinkBaseUrl?: string;
  logger?: Logger;
  registry?: Registry;
  /** Test hook: faster retries and breakers. */
  resilience?: Parameters<typeof createConnectorGateway>[0]['resilience'];
  /** Circuit-breaker state shared with the other processes (Redis; see `app/runtime.ts`). */
  sharedCircuits?: SharedCircuitStore;
  /**
   * Vendor backends chosen for this deployment, by kind (built with `buildBackends` in
   * connectors/backends/); a kind not given runs on its built-in backend (our own tables).
   */
  backends?: Partial<Record<SelectableKind, ConnectorDefinition>>;
}

let sharedClassifier: IntentClassifier | undefined;

/** The local intent classifier over the shared local embedding model (built once per process). */
export function localIntentClassifier(): IntentClassifier {
  sharedClassifier ??= createIntentClassifier({ embedder: sharedLocalEmbedder(), exemplars });
  return sharedClassifier;
}

/** Builds connectors, the pipeline, knowledge, and the agent on one database. */
/** Identity resolution acts for nobody yet: the system, with no customer bound. */
const systemSession: CallerSession = { conversationId: null, actor: 'system', customer: null };

export async function createSwitchboard(options: SwitchboardOptions): Promise<Switchboard> {
  const { pool } = options.database;
  const now = options.now ?? (() => new Date());
  const registry = options.registry ?? new Registry();
  const embedder = options.embedder ?? sharedLocalEmbedder();
  const search = createKnowledgeSearch({ db: pool, embedder });
  const answers = createAnswerSupport({ search });
  const faults = createFaultInjector({
    enabled: options.faults?.enabled ?? false,
    mode: options.mode,
    allowInProduction: options.faults?.allowInProduction ?? false,
  });
  // The mail system is reached only by the dispatcher; an injected email fault makes delivery fail (rows stay queued).
  const transport = withDeliveryFaults(
    options.emailTransport ??
      createEmailTransport({
        dataDir: options.dataDir,
        ...(options.smtpUrl ? { smtpUrl: options.smtpUrl } : {}),
      }),
    faults,
  );
  const replyTokens = options.replyTokens ? { replyTokens: options.replyTokens } : {};
  const outbox = createOutbox({ db: pool, ...defaultSender, ...replyTokens });
  const connectors: ConnectorDefinition[] = [createKnowledgeConnector({ search, answers })];
  // Each selectable kind's built-in backend: our own tables (the embedded default).
  const builtin: Record<SelectableKind, () => ConnectorDefinition> = {
    crm: () => createCrmConnector({ db: pool }),
    billing: () =>
      createBillingConnector({
        db: pool,
        paymentLinkSecret: options.paymentLinkSecret ?? 'embedded-demo-payment-link-secret-0123456789',
        paymentLinkBaseUrl: options.paymentLinkBaseUrl ?? 'http://127.0.0.1:3000/billing/update-payment',
      }),
    ticketing: () => createTicketingConnector({ db: pool }),
    calendar: () => createBuiltinCalendarConnector({ db: pool }),
  };
  if (!options.kbOnly) {
    const chosen = options.backends ?? {};
    connectors.push(
      chosen.crm ?? builtin.crm(),
      chosen.billing ?? builtin.billing(),
      chosen.ticketing ?? builtin.ticketing(),
      chosen.calendar ?? builtin.calendar(),
      createEmailConnector({ db: pool, transport, ...replyTokens }),
    );
  }
  const gateway = createConnectorGateway({
    db: pool,
    connectors,
    // Default policies of the connectors present (the kb-only baseline has none of these).
    policies: Object.fromEntries(
      Object.entries({ billing: billingPolicy, crm: crmPolicy, ticketing: ticketingPolicy }).filter(([id]) =>
        connectors.some((connector) => connector.id === id),
      ),
    ),
    policy: () => readPolicy(pool),
    now,
    registry,
    faults,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.resilience ? { resilience: options.resilience } : {}),
    ...(options.sharedCircuits ? { sharedCircuits: options.sharedCircuits } : {}),
  });
  const checkpointer = new SingleStatementPostgresSaver(pool);
  // Two processes starting at once on PostgreSQL (the API and a worker, two workers) would both
  // create the checkpoint tables and one would fail on a duplicate key: setup runs under a session
  // lock. Embedded PGlite belongs to one process (and has one connection, which the lock would hold).
  if (options.database.kind === 'pglite') await checkpointer.setup();
  else await withSessionLock(pool, 'switchboard:checkpointer-setup', () => checkpointer.setup());
  const classifier = options.reasoner ? null : localIntentClassifier();
  // The built-in classifier is shared by the process; this Switchboard's declarative procedures
  // extend it with their phrasings (rebuilt on every reload).
  let ranker: IntentRanker | null = classifier;
  const reasoner =
    options.reasoner ??
    createLocalReasoner(
      { classify: (texts) => ranker!.classify(texts) },
      { embedder: sharedLocalEmbedder() },
    );
  const procedureRegistry = createProcedureRegistry();
  const procedures = createDeclarativeProcedures({
    db: pool,
    registry: procedureRegistry,
    connectors: () => gateway.definitions(),
    ...(classifier
      ? {
          closeness: (texts: string[]) => classifier.closeness(texts),
          onPhrasings: (phrasings, boosts) => {
            ranker = classifier.extend(phrasings, boosts);
          },
        }
      : {}),
  });
  const dispatcher = createEmailDispatcher({
    db: pool,
    transport,
    // The embedded demo's admin outbox page is the demo customer's mailbox: it must show the code.
    scrubDeliveredCodes: options.mode !== 'embedded',
  });
  const store = createConversationStore(pool);
  // A customer the CRM knows (a vendor CRM's contact) can be verified before our directory knows them.
  const identities = createIdentityProvisioner({
    db: pool,
    lookup: async (email) => {
      const found = await gateway.call(systemSession, crm.lookupIdentity, { email });
      return found.status === 'ok' ? found.data.entry : null;
    },
  });
  const agent = createSupportAgent({
    gateway,
    reasoner,
    customers: createCustomerDirectory(pool, identities),
    store,
    checkpointer,
    now,
    policy: () => readPolicy(pool),
    kbOnly: options.kbOnly ?? false,
    outbox,
    procedures: procedureRegistry,
  });
  return {
    gateway,
    agent,
    store,
    conversations: createDirectConversations({ agent, store }),
    identities,
    faults,
    classifier,
    procedures,
    dispatcher,
    registry,
    useBackend(kind, definition) {
      if (options.kbOnly) throw new Error(`the kb-only baseline has no ${kind} connector`);
      gateway.replaceConnector(definition ?? builtin[kind]());
    },
    async close() {
      dispatcher.stop();
      await gateway.close?.();
    },
  };
}

/** A transport whose sends fail while an `email` fault is armed (evals and tests of a mail outage). */
function withDeliveryFaults(transport: EmailTransport, faults: FaultInjector): EmailTransport {
  return {
    ...transport,
    async send(message, context) {
      const fault = faults.take('email', 'deliver');
      if (fault) throw new Error(`injected ${fault.mode} fault: mail delivery unavailable`);
      return transport.send(message, context);
    },
  };
}

export type { Switchboard };

/** Runs `work` holding a PostgreSQL advisory lock on one connection (released however `work` ends). */
async function withSessionLock<T>(pool: pg.Pool, name: string, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
  } finally {
    client.release();
  }
}
