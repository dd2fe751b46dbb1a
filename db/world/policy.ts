import type { Queryable } from '../database.ts';

/** Policy numbers every procedure obeys (docs/product.md): the refund window and the auto-refund limit. */
export type Policy = {
  auto_refund_limit_cents: number;
  refund_window_days: number;
};

/** Lumen Cloud's published policy: refunds within 30 days; up to $200 issued automatically. */
export const defaultPolicy: Policy = { auto_refund_limit_cents: 20_000, refund_window_days: 30 };

/** The world's policy: the defaults with any stored overrides applied. */
export async function readPolicy(db: Queryable): Promise<Policy> {
  const { rows } = await db.query<{ value: Partial<Policy> }>(
    `SELECT value FROM settings WHERE key = 'policy'`,
  );
  return { ...defaultPolicy, ...(rows[0]?.value ?? {}) };
}
