import { describe, expect, it } from 'vitest';
import { incidentScore, matchIncident, rankIncidents } from './incident-matching.ts';

const dashboards = {
  id: 'inc_1',
  title: 'Elevated error rates on dashboards in EU',
  components: ['dashboards'],
  started_at: '2026-11-19T08:00:00Z',
};
const exports = {
  id: 'inc_2',
  title: 'CSV exports delayed',
  components: ['data export', 'csv'],
  started_at: '2026-11-18T08:00:00Z',
};

describe('matchIncident', () => {
  it('links a report that names an affected component', () => {
    expect(
      matchIncident('My dashboard shows a 500 error since this morning', [dashboards, exports])?.id,
    ).toBe('inc_1');
  });

  it('links on a multi-word component when every word appears', () => {
    expect(matchIncident('The data exports never arrive', [dashboards, exports])?.id).toBe('inc_2');
  });

  it('does not link on generic words alone', () => {
    expect(matchIncident('I get errors and the rates look elevated', [dashboards])).toBeNull();
    expect(incidentScore('errors everywhere, elevated', dashboards)).toBe(0);
  });

  it('does not link an unrelated report', () => {
    expect(matchIncident('How do I change my invoice address?', [dashboards, exports])).toBeNull();
  });

  it('ranks the stronger match first', () => {
    const ranked = rankIncidents('csv export of the dashboards is delayed', [dashboards, exports]);
    expect(ranked.map(({ incident }) => incident.id)).toEqual(['inc_2', 'inc_1']);
  });
});
