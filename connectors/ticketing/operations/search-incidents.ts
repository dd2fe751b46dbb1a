import type pg from 'pg';
import { z } from 'zod';
import { defineOperation } from '../../core/definition.ts';
import { rankIncidents } from '../incident-matching.ts';
import { incidentView, readIncidents } from '../schemas.ts';

/** `ticketing.search_incidents`: known incidents (public status information, no customer binding). */
export function createSearchIncidentsOperation({ db }: { db: pg.Pool }) {
  return defineOperation({
    name: 'search_incidents',
    description:
      'Searches known incidents (outages, degradations) by words of a problem description; open ones only by default. Without a query, lists them newest first.',
    effect: 'read',
    input: z.strictObject({
      query: z.string().trim().max(2_000).optional(),
      only_open: z.boolean().default(true),
      limit: z.number().int().min(1).max(50).default(5),
    }),
    output: z.object({ incidents: z.array(incidentView) }),
    scopes: ['tickets.read'],
    timeoutMs: 5_000,
    cacheable: true,
    allowUnverified: true,
    async run(input) {
      const incidents = await readIncidents(db, { onlyOpen: input.only_open });
      const found = input.query
        ? rankIncidents(input.query, incidents).map(({ incident }) => incident)
        : incidents;
      return { incidents: found.slice(0, input.limit) };
    },
  });
}
