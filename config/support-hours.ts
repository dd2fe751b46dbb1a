import { z } from 'zod';

/**
 * What the customer chat tells a customer whose conversation went to a person: how soon the team
 * usually replies and when it works ("We usually reply within 2 hours. Our team works Mon–Fri
 * 9:00–17:00 CET."). Both optional: unset, the chat promises nothing it was not told.
 */
export const supportHoursSettings = {
  /** Usual time to a person's first reply, in minutes (shown as "2 hours", "30 minutes", "1 day"). */
  SUPPORT_REPLY_WITHIN_MINUTES: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.coerce.number().int().min(1).max(43_200).optional(),
  ),
  /** The team's working hours as customers should read them, e.g. `Mon–Fri 9:00–17:00 CET`. */
  SUPPORT_HOURS: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z
      .string()
      .trim()
      .max(120, 'must be at most 120 characters')
      .regex(/^[^<>{}]*$/, 'must be plain text (no <, >, { or })')
      .optional(),
  ),
};

/** What the chat shows on a hand-off (GET /api/conversations/:id `support`). */
export interface SupportHours {
  replyWithinMinutes?: number;
  hours?: string;
}

export function supportHoursOf(config: {
  SUPPORT_REPLY_WITHIN_MINUTES?: number | undefined;
  SUPPORT_HOURS?: string | undefined;
}): SupportHours {
  return {
    ...(config.SUPPORT_REPLY_WITHIN_MINUTES
      ? { replyWithinMinutes: config.SUPPORT_REPLY_WITHIN_MINUTES }
      : {}),
    ...(config.SUPPORT_HOURS ? { hours: config.SUPPORT_HOURS } : {}),
  };
}
