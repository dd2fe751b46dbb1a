import type { GmailPart } from './client.ts';

/**
 * An attachment of a Gmail message, by reference: enough for a person in the console to fetch it
 * from Gmail (`users.messages.attachments.get`), never its content. The agent never sees attachments.
 */
export interface GmailAttachmentRef {
  gmail_message_id: string;
  attachment_id: string;
  filename: string;
  mime_type: string;
  size: number;
  /** Larger than the configured limit: listed, never offered for download. */
  over_limit?: true;
}

/** The attachments of a `format=full` payload (parts with a body `attachmentId` and a filename). */
export function attachmentsOf(
  messageId: string,
  payload: GmailPart | undefined,
  maxBytes: number,
): GmailAttachmentRef[] {
  const found: GmailAttachmentRef[] = [];
  const walk = (part: GmailPart | undefined) => {
    if (!part) return;
    if (part.body?.attachmentId && part.filename) {
      const size = part.body.size ?? 0;
      found.push({
        gmail_message_id: messageId,
        attachment_id: part.body.attachmentId,
        filename: part.filename.slice(0, 255),
        mime_type: (part.mimeType ?? 'application/octet-stream').slice(0, 255),
        size,
        ...(size > maxBytes ? { over_limit: true as const } : {}),
      });
    }
    for (const child of part.parts ?? []) walk(child);
  };
  walk(payload);
  return found;
}

/** The first part of a type with inline data, depth first. */
function firstPart(part: GmailPart | undefined, mimeType: string): GmailPart | undefined {
  if (!part) return undefined;
  if (part.mimeType?.toLowerCase() === mimeType && part.body?.data && !part.filename) return part;
  for (const child of part.parts ?? []) {
    const found = firstPart(child, mimeType);
    if (found) return found;
  }
  return undefined;
}

/** Headers that describe the original body, which the reduced message no longer has. */
const bodyHeaders = new Set([
  'content-type',
  'content-transfer-encoding',
  'mime-version',
  'content-disposition',
  'content-length',
]);

/**
 * A message too large to download whole, rebuilt from its `format=full` payload: its own headers
 * (DKIM signatures included: they no longer verify, so it reads as unauthenticated) and its text part
 * (else its HTML part) with that part's own charset; attachments are left out (kept by reference).
 */
export function reducedRawOf(payload: GmailPart): Buffer {
  const headers = (payload.headers ?? []).filter((header) => !bodyHeaders.has(header.name.toLowerCase()));
  const body = firstPart(payload, 'text/plain') ?? firstPart(payload, 'text/html');
  const contentType =
    body?.headers?.find((header) => header.name.toLowerCase() === 'content-type')?.value ??
    `${body?.mimeType ?? 'text/plain'}; charset=utf-8`;
  const data = body?.body?.data ? Buffer.from(body.body.data, 'base64url') : Buffer.alloc(0);
  const lines = [
    ...headers.map((header) => `${header.name}: ${header.value.replace(/[\r\n]+/g, ' ')}`),
    'MIME-Version: 1.0',
    `Content-Type: ${contentType.replace(/[\r\n]+/g, ' ')}`,
    'Content-Transfer-Encoding: base64',
    '',
    ...(data.toString('base64').match(/.{1,76}/g) ?? []),
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
