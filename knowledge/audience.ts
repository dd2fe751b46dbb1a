import type { CallerSession } from '../connectors/core/definition.ts';

/**
 * Who reads the knowledge base: `public` (customers, the agent serving them — public articles only)
 * or `internal` (human support staff — internal articles too).
 */
export type Audience = 'public' | 'internal';

/** Only a human agent's session reads internal articles; customers and the agent never do. */
export const audienceOf = (session: Pick<CallerSession, 'actor'>): Audience =>
  session.actor === 'human' ? 'internal' : 'public';
