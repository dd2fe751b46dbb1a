/**
 * Why a received mail is machine-made and must never be answered (a reply would start a mail loop):
 * - `auto_submitted`: `Auto-Submitted` other than `no` (RFC 3834 §5: auto-replies, vacation notices);
 * - `auto_reply_header`: `X-Autoreply` / `X-Autorespond` (older responders), `X-Auto-Response-Suppress`
 *   is not one (Outlook also sets it on ordinary mail);
 * - `precedence`: `Precedence: bulk | junk | list | auto_reply` (RFC 3834 §3.1.8's advice to responders);
 * - `bounce`: a delivery report (`multipart/report`), a null envelope sender, or `MAILER-DAEMON` /
 *   `postmaster` as the author;
 * - `own_mail`: its Message-ID is one of our own reply tokens — our sent mail came back.
 */
export type MailLoopReason = 'auto_submitted' | 'auto_reply_header' | 'precedence' | 'bounce' | 'own_mail';

/** Header values as mailparser hands them over: strings, or `{ value, params }` for structured ones. */
type HeaderValue = unknown;

const headerText = (header: HeaderValue): string => {
  if (typeof header === 'string') return header.trim().toLowerCase();
  if (header && typeof header === 'object' && 'value' in header && typeof header.value === 'string')
    return header.value.trim().toLowerCase();
  return '';
};

/** The loop reason the mail's own headers and author give, or null for a person's mail. */
export function loopReasonOfHeaders(
  headers: Map<string, HeaderValue>,
  fromAddress: string,
): MailLoopReason | null {
  const autoSubmitted = headerText(headers.get('auto-submitted'));
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto_submitted';
  if (headers.has('x-autoreply') || headers.has('x-autorespond')) return 'auto_reply_header';
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(headerText(headers.get('precedence'))))
    return 'precedence';
  if (headerText(headers.get('content-type')) === 'multipart/report') return 'bounce';
  if (/^(mailer-daemon|postmaster)@/i.test(fromAddress)) return 'bounce';
  return null;
}
