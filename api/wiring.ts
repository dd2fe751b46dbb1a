import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createSupportAgent } from '../agent/create-agent.ts';
import { exemplars } from '../agent/reasoner/local/exemplars.ts';
import { createIntentClassifier, type IntentClassifier } from '../agent/reasoner/local/intent-classifier.ts';
import { createLocalReasoner } from '../agent/reasoner/local/local-reasoner.ts';
import type { Reasoner } from '../agent/reasoner/reasoner.ts';
import { createBillingConnector } from '../connectors/billing/index.ts';
import { billingPolicy } from '../connectors/billing/policy.ts';
import { createBuiltinCalendarConnector } from '../connectors/calendar/index.ts';
import {
  createConnectorGateway,
  type ManagedConnectorGateway,
} from '../connectors/core/connector-gateway.ts';
import type { ConnectorDefinition } from '../connectors/core/definition.ts';
import { createFaultInjector, type FaultInjector } from '../connectors/core/faults.ts';
import { createCrmConnector } from '../connectors/crm/index.ts';
import { crmPolicy } from '../connectors/crm/policy.ts';
import { createEmailConnector, defaultSender } from '../connectors/email/connector.ts';
import { createEmailDispatcher } from '../connectors/email/dispatcher.ts';
import { createOutbox } from '../connectors/email/outbox.ts';
import { createEmailTransport, type EmailTransport } from '../connectors/email/transport.ts';
import { createTicketingConnector } from '../connectors/ticketing/index.ts';
import { ticketingPolicy } from '../connectors/ticketing/policy.ts';
import { createConversationStore, createCustomerDirectory } from '../db/conversation-store.ts';
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
  paymentLinkSecret?: string;
  paymentLinkBaseUrl?: string;
  logger?: Logger;
  registry?: Registry;
  /** Test hook: faster retries and breakers. */
  resilience?: Parameters<typeof createConnectorGateway>[0]['resilience'];
}

export interface Switchboard {
  gateway: ManagedConnectorGateway;
  agent: ReturnType<typeof createSupportAgent>;
  faults: FaultInjector;
  classifier: IntentClassifier | null;
  dispatcher: ReturnType<typeof createEmailDispatcher>;
  registry: Registry;
  close(): Promise<void>;
}

let sharedClassifier: IntentClassifier | undefined;

/** The local intent classifier over the shared local embedding model (built once per process). */
export function localIntentClassifier(): IntentClassifier {
  sharedClassifier ??= createIntentClassifier({ embedder: sharedLocalEmbedder(), exemplars });
  return sharedClassifier;
}

/** Builds connectors, the pipeline, knowledge, and the agent on one database. */
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
    createEmailTransport({
      dataDir: options.dataDir,
      ...(options.smtpUrl ? { smtpUrl: options.smtpUrl } : {}),
    }),
    faults,
  );
  const outbox = createOutbox({ db: pool, ...defaultSender });
  const connectors: ConnectorDefinition[] = [createKnowledgeConnector({ search, answers })];
  if (!options.kbOnly) {
    connectors.push(
      createCrmConnector({ db: pool }),
      createBillingConnector({
        db: pool,
        paymentLinkSecret: options.paymentLinkSecret ?? 'embedded-demo-payment-link-secret-0123456789',
        paymentLinkBaseUrl: options.paymentLinkBaseUrl ?? 'http://127.0.0.1:3000/billing/update-payment',
      }),
      createTicketingConnector({ db: pool }),
      createBuiltinCalendarConnector({ db: pool }),
      createEmailConnector({ db: pool, transport }),
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
  });
  const checkpointer = new PostgresSaver(pool);
  await checkpointer.setup();
  const classifier = options.reasoner ? null : localIntentClassifier();
  const reasoner = options.reasoner ?? createLocalReasoner(classifier!);
  const dispatcher = createEmailDispatcher({ db: pool, transport });
  const agent = createSupportAgent({
    gateway,
    reasoner,
    customers: createCustomerDirectory(pool),
    store: createConversationStore(pool),
    checkpointer,
    now,
    policy: () => readPolicy(pool),
    kbOnly: options.kbOnly ?? false,
    outbox,
  });
  return {
    gateway,
    agent,
    faults,
    classifier,
    dispatcher,
    registry,
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
    async send(message) {
      const fault = faults.take('email', 'deliver');
      if (fault) throw new Error(`injected ${fault.mode} fault: mail delivery unavailable`);
      return transport.send(message);
    },
  };
}
