import { z } from 'zod';

/**
 * Transcript retention (docs/privacy.md, "Retention"): finished conversations whose last activity is
 * older than this many days are purged by the `maintenance.purge-transcripts` job. Unset: transcripts
 * are kept forever and the job is not scheduled.
 */
export const retentionSettings = {
  TRANSCRIPT_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(36_500, 'must be at most 36500 days (100 years)')
    .optional(),
};
