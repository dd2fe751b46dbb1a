/** The whole received mail behind a customer's email message, as the console shows it. */
export interface OriginalMail {
  text: string;
  /** Only the start of a very long mail was kept. */
  truncated: boolean;
}

/**
 * The stored original of a received email (metadata `email.full_text`, conversations/email-intake.ts),
 * or null: for chat messages, our own replies, mail stored before originals were kept, and mail whose
 * original is exactly the text shown. Read as untrusted input.
 */
export function originalMailOf(
  role: string,
  metadata: Record<string, unknown>,
  shown: string,
): OriginalMail | null {
  if (role !== 'customer' || metadata.channel !== 'email') return null;
  const original = metadata.email as Record<string, unknown> | null | undefined;
  const text = typeof original?.full_text === 'string' ? original.full_text : '';
  if (!text || text === shown) return null;
  return { text, truncated: original?.full_text_truncated === true };
}

/**
 * The agent reads only the new text of a reply; a human can open the whole mail (quotes, signature,
 * disclaimer) under it. Rendered as text, never as HTML.
 */
export function OriginalMailDetails({
  role,
  metadata,
  shown,
}: {
  role: string;
  metadata: Record<string, unknown>;
  shown: string;
}) {
  const original = originalMailOf(role, metadata, shown);
  if (!original) return null;
  return (
    <details className="original-mail">
      <summary>Whole mail as received{original.truncated ? ' (start only)' : ''}</summary>
      <pre>{original.text}</pre>
    </details>
  );
}
