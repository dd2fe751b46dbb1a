import { z } from 'zod';

/** A record id as the systems store it (text, e.g. `pay_2`, `INV-1001`). */
export const recordId = z.string().trim().min(1).max(200);

/** Plan ids of the price list (`plans` table). */
export const planIds = ['free', 'starter', 'pro', 'business', 'enterprise'] as const;
export const planId = z.enum(planIds);
export type PlanId = z.infer<typeof planId>;

export const isoDateTime = z.iso.datetime({ offset: true });
export const isoDate = z.iso.date();
/** Money is integer cents everywhere. */
export const cents = z.number().int();

/** Page size of list reads. */
export const listLimit = z.number().int().min(1).max(100).default(10);

/** A timestamptz column value as an ISO string (pg returns Date; some drivers strings). */
export function toIso(value: Date | string): string {
  return new Date(value).toISOString();
}

/** The UTC calendar date of an instant, `YYYY-MM-DD`. */
export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** Who a write is attributed to in the systems' rows (`created_by`, `author`). */
export function authorOf(session: { actor: 'agent' | 'human' | 'system'; actorId?: string }): string {
  if (session.actor === 'human') return session.actorId ? `human:${session.actorId}` : 'human';
  return session.actor;
}
