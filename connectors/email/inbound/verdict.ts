import { z } from 'zod';

/** Results as RFC 8601 names them; mailauth's spellings are mapped onto these in authenticate.ts. */
const dmarcResult = z.enum(['pass', 'fail', 'none', 'temperror', 'permerror']);
const spfResult = z.enum(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror']);
const dkimResult = z.enum(['pass', 'fail', 'neutral', 'none', 'policy', 'temperror', 'permerror']);

/**
 * How an inbound email authenticated, stored as the message's `mail_auth` metadata (snake_case like
 * the rest of it). `aligned` is true only for a DMARC pass whose author domain is the domain of the
 * one From address the message was stored under: the only case in which the mail proves its sender.
 */
export const mailAuthVerdictSchema = z.object({
  dmarc: dmarcResult,
  spf: spfResult,
  /** The aligned passing signature's result, else the first signature's (`none`: not signed). */
  dkim: dkimResult,
  aligned: z.boolean(),
  // The two descriptive fields default to '' when read: what a message may do rests on `dmarc` and
  // `aligned` alone, so a verdict recorded without them (a fixture, a row written by hand) still reads.
  /** The domain of the From address, lower case. */
  from_domain: z.string().max(255).default(''),
  /** The Authentication-Results text mailauth produced (one line, without the header name). */
  authentication_results: z.string().max(4000).default(''),
});

export type MailAuthVerdict = z.infer<typeof mailAuthVerdictSchema>;
export type DmarcResult = z.infer<typeof dmarcResult>;
export type SpfResult = z.infer<typeof spfResult>;
export type DkimResult = z.infer<typeof dkimResult>;

/**
 * The `mail_auth` verdict of a stored message's metadata, or null when it has none or it is not in
 * the expected shape (a message stored before mail was authenticated, a chat message, a row edited
 * by hand): callers treat null as unauthenticated.
 */
export function mailAuthOf(metadata: Record<string, unknown> | null | undefined): MailAuthVerdict | null {
  const parsed = mailAuthVerdictSchema.safeParse(metadata?.mail_auth);
  return parsed.success ? parsed.data : null;
}

/** Whether a stored inbound email passed DMARC aligned with its From domain (its sender is proven). */
export function isAlignedDmarcPass(metadata: Record<string, unknown> | null | undefined): boolean {
  const verdict = mailAuthOf(metadata);
  return verdict?.aligned === true && verdict.dmarc === 'pass';
}
