/** How the console shows the authentication verdict of a customer's email. */
export interface MailAuthLabel {
  /** "DMARC pass (brightpath.io)" or "Unauthenticated: DMARC fail". */
  text: string;
  /** The badge style: a proven sender, a failed check, or nothing to go on. */
  tone: 'badge-ok' | 'badge-error' | 'badge-warn';
  /** The Authentication-Results the server recorded, for the tooltip. */
  detail: string;
}

const dmarcResults = ['pass', 'fail', 'none', 'temperror', 'permerror'];

/**
 * The verdict line of a message: null unless it is a received email. Reads the message's `mail_auth`
 * metadata (connectors/email/inbound/verdict.ts) as untrusted input: a verdict in any other shape, or
 * none (mail received before mail was authenticated), shows as unauthenticated. Only an aligned DMARC
 * pass proves who sent the mail.
 */
export function mailAuthLabel(role: string, metadata: Record<string, unknown>): MailAuthLabel | null {
  if (role !== 'customer' || metadata.channel !== 'email') return null;
  const verdict = metadata.mail_auth as Record<string, unknown> | null | undefined;
  const dmarc =
    typeof verdict?.dmarc === 'string' && dmarcResults.includes(verdict.dmarc) ? verdict.dmarc : null;
  const detail = typeof verdict?.authentication_results === 'string' ? verdict.authentication_results : '';
  if (!dmarc) return { text: 'Unauthenticated: no verdict recorded', tone: 'badge-warn', detail };
  if (dmarc === 'pass' && verdict?.aligned === true) {
    const domain =
      typeof verdict.from_domain === 'string' && verdict.from_domain ? ` (${verdict.from_domain})` : '';
    return { text: `DMARC pass${domain}`, tone: 'badge-ok', detail };
  }
  const label = dmarc === 'pass' ? 'DMARC pass, not aligned' : `DMARC ${dmarc}`;
  return {
    text: `Unauthenticated: ${label}`,
    tone: dmarc === 'fail' || dmarc === 'permerror' ? 'badge-error' : 'badge-warn',
    detail,
  };
}
