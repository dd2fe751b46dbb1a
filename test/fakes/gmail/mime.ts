/**
 * The MIME tree of a raw RFC 822 message as Gmail's `format=full` payload shows it
 * (https://developers.google.com/gmail/api/reference/rest/v1/users.messages#MessagePart): each part
 * with its `partId`, `mimeType`, `filename`, headers in order, and a body whose `data` is the decoded
 * content in base64url — or, for an attachment, an `attachmentId` to fetch it by instead.
 */
export interface FakeMessagePart {
  partId: string;
  mimeType: string;
  filename: string;
  headers: Array<{ name: string; value: string }>;
  body: { size: number; data?: string; attachmentId?: string };
  parts?: FakeMessagePart[];
}

/** A decoded attachment body, kept by the fake for `users.messages.attachments.get`. */
export interface FakeAttachment {
  id: string;
  data: Buffer;
}

const splitHeadersAndBody = (raw: Buffer): { head: string; body: Buffer } => {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return { head: raw.toString('latin1'), body: Buffer.alloc(0) };
  const useCrlf = crlf >= 0 && (lf < 0 || crlf <= lf);
  const at = useCrlf ? crlf : lf;
  return { head: raw.subarray(0, at).toString('latin1'), body: raw.subarray(at + (useCrlf ? 4 : 2)) };
};

/** Header lines, continuation lines unfolded (RFC 5322 §2.2.3). */
export function parseHeaders(head: string): Array<{ name: string; value: string }> {
  const headers: Array<{ name: string; value: string }> = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1]!.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

const headerOf = (headers: Array<{ name: string; value: string }>, name: string): string | undefined =>
  headers.find((header) => header.name.toLowerCase() === name.toLowerCase())?.value;

/** A structured header's parameter (`boundary`, `name`, `filename`), quoted or not. */
const parameterOf = (value: string | undefined, name: string): string | undefined => {
  if (!value) return undefined;
  const match = new RegExp(`(?:^|;)\\s*${name}\\*?=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
};

function decodeQuotedPrintable(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const hex = text.slice(index + 1, index + 3);
    if (text[index] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else bytes.push(text.charCodeAt(index) & 0xff);
  }
  return Buffer.from(bytes);
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

/**
 * Builds the payload tree. `newAttachmentId` names each attachment body (Gmail's ids are long
 * opaque strings); the decoded attachments are returned beside the tree.
 */
export function mimeTreeOf(
  raw: Buffer,
  newAttachmentId: () => string,
): { payload: FakeMessagePart; attachments: FakeAttachment[] } {
  const attachments: FakeAttachment[] = [];
  const build = (bytes: Buffer, partId: string): FakeMessagePart => {
    const { head, body } = splitHeadersAndBody(bytes);
    const headers = parseHeaders(head);
    const contentType = headerOf(headers, 'content-type') ?? 'text/plain';
    const mimeType = contentType.split(';')[0]!.trim().toLowerCase() || 'text/plain';
    const disposition = headerOf(headers, 'content-disposition');
    const filename = parameterOf(disposition, 'filename') ?? parameterOf(contentType, 'name') ?? '';
    const boundary = parameterOf(contentType, 'boundary');
    if (mimeType.startsWith('multipart/') && boundary) {
      const text = body.toString('latin1');
      const delimiter = `--${boundary}`;
      const chunks = text.split(new RegExp(`\\r?\\n?${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      // chunks[0] is the preamble; a chunk starting with `--` is the epilogue after the close delimiter.
      const children = chunks
        .slice(1)
        .filter((chunk) => !chunk.startsWith('--'))
        .map((chunk, index) =>
          build(
            Buffer.from(chunk.replace(/^[ \t]*\r?\n/, ''), 'latin1'),
            partId ? `${partId}.${index}` : `${index}`,
          ),
        );
      return { partId, mimeType, filename, headers, body: { size: 0 }, parts: children };
    }
    const decoded = decodeBody(body, headerOf(headers, 'content-transfer-encoding'));
    if (filename || disposition?.toLowerCase().startsWith('attachment')) {
      const id = newAttachmentId();
      attachments.push({ id, data: decoded });
      return { partId, mimeType, filename, headers, body: { size: decoded.length, attachmentId: id } };
    }
    return {
      partId,
      mimeType,
      filename,
      headers,
      body: { size: decoded.length, ...(decoded.length ? { data: decoded.toString('base64url') } : {}) },
    };
  };
  return { payload: build(raw, ''), attachments };
}

/** The value of a header of the top-level part. */
export const topHeader = (raw: Buffer, name: string): string | undefined =>
  headerOf(parseHeaders(splitHeadersAndBody(raw).head), name);
