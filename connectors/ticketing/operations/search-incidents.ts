import type pg from 'pg';
import { implement } from '../../core/contract.ts';
import { ticketing } from '../contract.ts';
import { rankIncidents } from '../incident-matching.ts';
import { readIncidents } from '../schemas.ts';

/** `ticketing.search_incidents`: known incidents (public status information, no customer binding). */
export function createSearchIncidentsOperation({ db }: { db: pg.Pool }) {
  return implement(ticketing.searchIncidents, {
    scopes: ['tickets.read'],
    timeoutMs: 5_000,
    async run(input) {
      const incidents = await readIncidents(db, { onlyOpen: input.only_open });
      const found = input.query
        ? rankIncidents(input.query, incidents).map(({ incident }) => incident)
        : incidents;
      return { incidents: found.slice(0, input.limit) };
    },
  });
}
