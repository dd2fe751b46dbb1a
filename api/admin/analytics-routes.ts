import { z } from 'zod';
import type { ApiApp, ApiContext } from '../context.ts';
import { analyticsQuerySchema, analyticsSummarySchema } from '../contract/analytics.ts';
import { analyticsCsv, analyticsSummary } from './analytics-queries.ts';
import { adminSchema } from './shared.ts';

/**
 * The analytics page's API (docs/analytics.md): the period's numbers day by day, as JSON for the
 * charts and as CSV for a spreadsheet. Staff only, like every `/api/admin` route (api/routes/admin.ts).
 */
export async function registerAnalyticsRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;

  app.get(
    '/api/admin/analytics/summary',
    {
      schema: {
        ...adminSchema,
        summary:
          'Conversations, automated resolution, escalations by reason, approvals, human response times, CSAT, intents and connector calls per day of a period',
        querystring: analyticsQuerySchema,
        response: { 200: analyticsSummarySchema },
      },
    },
    async (request) => analyticsSummary(pool, request.query),
  );

  app.get(
    '/api/admin/analytics/export.csv',
    {
      schema: {
        ...adminSchema,
        summary: 'The same numbers as the summary, one CSV row per day',
        querystring: analyticsQuerySchema,
        produces: ['text/csv'],
        response: { 200: z.string() },
      },
    },
    async (request, reply) => {
      const { from, to, channel } = request.query;
      const summary = await analyticsSummary(pool, request.query);
      // The name is built from validated dates and the channel enum only: nothing to escape.
      const name = `switchboard-analytics-${from}-to-${to}${channel ? `-${channel}` : ''}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(analyticsCsv(summary));
    },
  );
}
