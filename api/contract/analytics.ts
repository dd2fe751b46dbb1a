import { z } from 'zod';
import { escalationReasons } from './values.ts';

/**
 * The analytics page's API (`/api/admin/analytics/…`, docs/analytics.md): how the agent does on real
 * conversations over a period, day by day. Days are calendar days in `tz` (an IANA zone, default
 * UTC); `from` and `to` are both included.
 */

/** The longest period one request may ask for, in days (a year, leap day included). */
export const maxAnalyticsDays = 366;

const dayMs = 86_400_000;

/** True when `zone` is an IANA time zone this runtime (and so, in practice, PostgreSQL) knows. */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `GET /api/admin/analytics/summary` and `…/export.csv`. */
export const analyticsQuerySchema = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    tz: z.string().max(64).refine(isTimeZone, 'not an IANA time zone').default('UTC'),
    channel: z.enum(['chat', 'email']).optional(),
  })
  .superRefine((query, context) => {
    const days = (Date.parse(query.to) - Date.parse(query.from)) / dayMs + 1;
    if (days < 1) context.addIssue({ code: 'custom', path: ['to'], message: 'is before from' });
    else if (days > maxAnalyticsDays)
      context.addIssue({ code: 'custom', path: ['to'], message: `spans more than ${maxAnalyticsDays} days` });
  });
export type AnalyticsQuery = z.infer<typeof analyticsQuerySchema>;

const rate = z.number().min(0).max(1).nullable();
const seconds = z.number().nullable();
const escalationReasonSchema = z.enum(escalationReasons);

/**
 * The numbers of one day, or of the whole period (`totals`). Conversation metrics count the
 * conversations that started in it; approvals, ratings and connector calls count when they happened.
 */
export const analyticsFiguresSchema = z.object({
  conversations: z.number().int(),
  /** Resolved or answered with no human taking part (the conversation's outcome). */
  automated: z.number().int(),
  automatedRate: rate,
  /** Resolved by the agent with a write a connector confirmed (an `ok` row of `audit_log`). */
  verifiedActions: z.number().int(),
  verifiedActionRate: rate,
  /** Conversations handed to a human, by the reason of their first hand-over. */
  escalated: z.number().int(),
  escalationRate: rate,
  escalationsByReason: z.partialRecord(escalationReasonSchema, z.number().int()),
  approvals: z.object({
    requested: z.number().int(),
    approved: z.number().int(),
    denied: z.number().int(),
    pending: z.number().int(),
    /** Closed (resolved, handed back) with no decision on the action. */
    closedUndecided: z.number().int(),
  }),
  /** Handed-over conversations: from the hand-over to the first human message, and from start to resolution. */
  humanHandled: z.object({
    conversations: z.number().int(),
    firstResponseMedianSeconds: seconds,
    firstResponseP90Seconds: seconds,
    resolutionMedianSeconds: seconds,
    resolutionP90Seconds: seconds,
  }),
  csat: z.object({
    ratings: z.number().int(),
    average: z.number().nullable(),
    /** Ratings 1 to 5, in that order. */
    distribution: z.array(z.number().int()).length(5),
  }),
  /** Classified intent (`unclassified` when no turn classified one) → conversations. */
  intents: z.record(z.string(), z.number().int()),
  connectors: z.object({
    calls: z.number().int(),
    failures: z.number().int(),
    successRate: rate,
    p95LatencyMs: z.number().nullable(),
  }),
});
export type AnalyticsFigures = z.infer<typeof analyticsFiguresSchema>;

export const analyticsSummarySchema = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  tz: z.string(),
  channel: z.enum(['chat', 'email']).nullable(),
  /** Every day of the period, in order, days without activity included. */
  days: z.array(analyticsFiguresSchema.extend({ date: z.iso.date() })),
  totals: analyticsFiguresSchema,
  /** The latest finished eval run's resolution rate, to read beside the live automated rate. */
  latestEval: z
    .object({
      runId: z.string(),
      suite: z.string(),
      finishedAt: z.iso.datetime(),
      resolutionRate: z.number(),
    })
    .nullable(),
});
export type AnalyticsSummary = z.infer<typeof analyticsSummarySchema>;
