import path from 'node:path';
import type { AgentEvent, CustomerSession } from '../../agent/events.ts';
import { defaultArticles } from '../../app/eval-environment.ts';
import { createSwitchboard, type Switchboard } from '../../app/wiring.ts';
import type { Database } from '../../db/database.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createIngester } from '../../knowledge/ingest.ts';
import { sharedLocalEmbedder } from '../../knowledge/local-embedder.ts';

const ingester = createIngester({ embedder: sharedLocalEmbedder(), cacheSize: 2000 });

/** One pro customer (Maya Chen, ct_1 of acc_1) with a duplicate $99 charge (pay_2) on INV-1001. */
export const duplicateChargeWorld: WorldInput = {
  accounts: [{ id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' }],
  contacts: [
    {
      id: 'ct_1',
      account: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      timezone: 'Europe/Berlin',
    },
  ],
  subscriptions: [{ id: 'sub_1', account: 'acc_1', plan: 'pro', status: 'active', period_end: '2026-11-30' }],
  invoices: [
    { id: 'INV-1001', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-11-01' },
  ],
  payments: [
    {
      id: 'pay_1',
      invoice: 'INV-1001',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:00Z',
    },
    {
      id: 'pay_2',
      invoice: 'INV-1001',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:09Z',
    },
  ],
};

/** A world, a clock and a fully wired agent on a test database (real pipeline, connectors and knowledge). */
/** A handful of help-center articles: enough for the agent's answers, quick to embed. */
export const testArticles = [
  'refund-policy',
  'duplicate-charges',
  'api-rate-limits',
  'saml-sso-setup',
  'plans-and-pricing',
  'failed-payments',
];

export async function wireAgent(
  database: Database,
  world: WorldInput,
  now: Date,
  options: { kbOnly?: boolean; articles?: string[] } = { articles: testArticles },
): Promise<Switchboard> {
  await clearWorld(database.pool);
  await database.pool.query(
    `DO $$ BEGIN IF to_regclass('checkpoints') IS NOT NULL THEN TRUNCATE checkpoints, checkpoint_writes, checkpoint_blobs; END IF; END $$`,
  );
  await loadWorld(database.pool, world);
  const articles = await defaultArticles();
  await ingester.ingest(
    database.pool,
    options.articles
      ? articles.filter((article) => options.articles!.includes(path.basename(article.source, '.md')))
      : articles,
  );
  return rewire(database, now, options);
}

/** A new composition on the same database, as after a process restart. */
export function rewire(
  database: Database,
  now: Date,
  options: { kbOnly?: boolean } = {},
): Promise<Switchboard> {
  return createSwitchboard({
    database,
    dataDir: '.data/test',
    mode: 'embedded',
    now: () => now,
    faults: { enabled: true },
    kbOnly: options.kbOnly ?? false,
    resilience: { retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 5 } },
  });
}

/** Sends one customer message and collects the turn's events. */
export async function send(
  switchboard: Switchboard,
  conversationId: string,
  text: string,
  session: CustomerSession,
): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of switchboard.conversations.converse(conversationId, text, session))
    events.push(event);
  return events;
}

/**
 * Runs one turn on the agent itself, past the conversation's owner (no stored message, no lock, no
 * retry): for tests of what the agent does when its run fails. The conversation row must exist.
 */
export async function agentTurn(
  switchboard: Switchboard,
  conversationId: string,
  message: string,
  session: CustomerSession,
): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  const turn = { conversation: { status: 'open' as const, verification: null }, message, codeHashes: [] };
  for await (const event of switchboard.agent.handleMessage(
    conversationId,
    { kind: 'message', text: message },
    session,
    turn,
  ))
    events.push(event);
  return events;
}

export const replies = (events: AgentEvent[]) =>
  events.flatMap((event) => (event.type === 'message' ? [event.text] : [])).join('\n');

export const eventOf = <T extends AgentEvent['type']>(events: AgentEvent[], type: T) =>
  events.find((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
