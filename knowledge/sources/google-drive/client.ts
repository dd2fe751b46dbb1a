import { drive } from '@googleapis/drive';
import { z } from 'zod';
import { parseRetryAfter } from '../../../connectors/calendar/google/errors.ts';
import { ConnectorError } from '../../../connectors/core/errors.ts';
import type { GoogleConnection } from '../../../connectors/google/connection.ts';

/**
 * The only module that talks to Google Drive v3 for the knowledge source: a bearer token from the
 * shared Google connection per request (a 401 invalidates it and the call is tried once more with a
 * fresh one), Google's errors mapped to ConnectorError, answers parsed with zod. gaxios' own retries
 * are off: the sync decides what a 429 or 5xx means for the run.
 */

export const driveFolderMimeType = 'application/vnd.google-apps.folder';
export const googleDocMimeType = 'application/vnd.google-apps.document';

const permissionSchema = z.object({
  type: z.enum(['user', 'group', 'domain', 'anyone']),
  role: z.string(),
  domain: z.string().optional(),
});

/** The file fields the source reads (https://developers.google.com/drive/api/reference/rest/v3/files). */
export const driveFileSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  mimeType: z.string(),
  parents: z.array(z.string()).default([]),
  trashed: z.boolean().default(false),
  modifiedTime: z.string(),
  version: z.string().optional(),
  md5Checksum: z.string().optional(),
  size: z.string().optional(),
  webViewLink: z.string().optional(),
  /** Absent when the caller may not see the file's sharing: read as "shared with no one". */
  permissions: z.array(permissionSchema).default([]),
});
export type DriveFile = z.infer<typeof driveFileSchema>;
export type DrivePermission = z.infer<typeof permissionSchema>;

const fileFields =
  'id,name,mimeType,parents,trashed,modifiedTime,version,md5Checksum,size,webViewLink,permissions(type,role,domain)';

const fileListSchema = z.object({
  files: z.array(driveFileSchema).default([]),
  nextPageToken: z.string().optional(),
});
const changeSchema = z.object({
  fileId: z.string().optional(),
  removed: z.boolean().default(false),
  changeType: z.string().optional(),
  file: driveFileSchema.optional(),
});
const changeListSchema = z.object({
  changes: z.array(changeSchema).default([]),
  nextPageToken: z.string().optional(),
  newStartPageToken: z.string().optional(),
});
export type DriveChange = z.infer<typeof changeSchema>;

/** A failed Drive call, with Google's first error `reason` (exportSizeLimitExceeded, invalid…). */
export class DriveError extends ConnectorError {
  constructor(
    kind: ConstructorParameters<typeof ConnectorError>[0],
    message: string,
    readonly status: number | undefined,
    readonly reason: string | undefined,
    options: ConstructorParameters<typeof ConnectorError>[2] = {},
  ) {
    super(kind, message, options);
  }
}

interface HttpFailure {
  status?: number;
  name?: string;
  code?: string;
  response?: { status?: number; headers?: Headers | Record<string, string>; data?: unknown };
}

function header(headers: Headers | Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string>;
  return record[name] ?? record[name.toLowerCase()];
}

function reasonOf(data: unknown): string | undefined {
  let body = data;
  if (body instanceof ArrayBuffer) body = Buffer.from(body).toString('utf8');
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const errors = (body as { error?: { errors?: Array<{ reason?: unknown }> } } | null)?.error?.errors;
  const reason = Array.isArray(errors) ? errors[0]?.reason : undefined;
  return typeof reason === 'string' ? reason : undefined;
}

/**
 * Maps a failed call per Drive's error guide (https://developers.google.com/drive/api/guides/handle-errors):
 * 429 and 403 rate-limit reasons → rate_limited (Retry-After kept), 5xx and no answer → transient,
 * 401 → auth_expired, other 403 → forbidden, 404/410 → not_found, 400 → invalid_input.
 */
export function mapDriveError(error: unknown, what: string): DriveError {
  if (error instanceof DriveError) return error;
  const failure = (error ?? {}) as HttpFailure;
  const status =
    failure.response?.status ?? (typeof failure.status === 'number' ? failure.status : undefined);
  const reason = reasonOf(failure.response?.data);
  const detail = `Google Drive ${what}: ${status ?? 'no answer'}${reason ? ` ${reason}` : ''}`;
  if (status === undefined) {
    const timedOut = failure.name === 'AbortError' || failure.name === 'TimeoutError';
    return new DriveError(
      'transient',
      `${detail} (${timedOut ? 'timed out' : 'unreachable'})`,
      undefined,
      reason,
      {
        cause: error,
      },
    );
  }
  const rateLimits = ['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded'];
  if (status === 429 || (status === 403 && reason !== undefined && rateLimits.includes(reason))) {
    const retryAfterSeconds = parseRetryAfter(header(failure.response?.headers, 'retry-after'));
    return new DriveError('rate_limited', `${detail} (rate limited)`, status, reason, {
      cause: error,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  }
  if (status >= 500) return new DriveError('transient', detail, status, reason, { cause: error });
  if (status === 401)
    return new DriveError('auth_expired', `${detail} (access token refused)`, status, reason, {
      cause: error,
    });
  if (status === 403)
    return new DriveError('forbidden', detail, status, reason, { cause: error, retryable: false });
  if (status === 404 || status === 410)
    return new DriveError('not_found', detail, status, reason, { cause: error });
  if (status === 400) return new DriveError('invalid_input', detail, status, reason, { cause: error });
  return new DriveError('permanent', detail, status, reason, { cause: error });
}

export interface DriveClientOptions {
  connection: GoogleConnection;
  timeoutMs?: number;
}

/** Escapes a value inside a single-quoted `q` string (https://developers.google.com/drive/api/guides/search-files). */
const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function createDriveClient(options: DriveClientOptions) {
  const { connection } = options;
  const api = drive({ version: 'v3', rootUrl: connection.rootUrl });

  async function send<T>(
    what: string,
    signal: AbortSignal | undefined,
    request: (init: {
      headers: Record<string, string>;
      retry: false;
      timeout: number;
      signal?: AbortSignal;
    }) => Promise<{ data: T }>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const token = await connection.accessToken('drive');
      try {
        const response = await request({
          headers: { Authorization: `Bearer ${token}` },
          retry: false,
          timeout: options.timeoutMs ?? 30_000,
          ...(signal ? { signal } : {}),
        });
        return response.data;
      } catch (error) {
        const mapped = mapDriveError(error, what);
        if (mapped.kind === 'auth_expired') {
          // The token was refused: the connection refreshes it, and the call is tried once more.
          connection.invalidate(token);
          if (attempt === 1) continue;
        }
        throw mapped;
      }
    }
  }

  return {
    /** One page of a folder's direct children that are not in the trash. */
    async listChildren(
      folderId: string,
      pageToken: string | undefined,
      pageSize: number,
      signal?: AbortSignal,
    ) {
      // https://developers.google.com/drive/api/reference/rest/v3/files/list
      const data = await send('files.list', signal, (init) =>
        api.files.list(
          {
            q: `${quoted(folderId)} in parents and trashed = false`,
            fields: `nextPageToken,files(${fileFields})`,
            pageSize,
            supportsAllDrives: true,
            includeItemsFromAllDrives: true,
            ...(pageToken ? { pageToken } : {}),
          },
          init,
        ),
      );
      const parsed = fileListSchema.safeParse(data);
      if (!parsed.success)
        throw new DriveError('permanent', 'Google Drive files.list: malformed answer', 200, undefined);
      return parsed.data;
    },

    /** A file's metadata (the folder itself, to check it exists and is a folder). */
    async getFile(fileId: string, signal?: AbortSignal): Promise<DriveFile> {
      const data = await send('files.get', signal, (init) =>
        api.files.get({ fileId, fields: fileFields, supportsAllDrives: true }, init),
      );
      const parsed = driveFileSchema.safeParse(data);
      if (!parsed.success)
        throw new DriveError('permanent', 'Google Drive files.get: malformed answer', 200, undefined);
      return parsed.data;
    },

    /** Where the changes feed is now: changes after this token are what the next incremental run reads. */
    async startPageToken(signal?: AbortSignal): Promise<string> {
      // https://developers.google.com/drive/api/reference/rest/v3/changes/getStartPageToken
      const data = await send('changes.getStartPageToken', signal, (init) =>
        api.changes.getStartPageToken({ supportsAllDrives: true }, init),
      );
      const token = (data as { startPageToken?: unknown }).startPageToken;
      if (typeof token !== 'string' || !token)
        throw new DriveError(
          'permanent',
          'Google Drive changes.getStartPageToken: malformed answer',
          200,
          undefined,
        );
      return token;
    },

    /** One page of the changes feed from `pageToken`. */
    async listChanges(pageToken: string, pageSize: number, signal?: AbortSignal) {
      // https://developers.google.com/drive/api/reference/rest/v3/changes/list
      const data = await send('changes.list', signal, (init) =>
        api.changes.list(
          {
            pageToken,
            pageSize,
            includeRemoved: true,
            supportsAllDrives: true,
            includeItemsFromAllDrives: true,
            fields: `nextPageToken,newStartPageToken,changes(fileId,removed,changeType,file(${fileFields}))`,
          },
          init,
        ),
      );
      const parsed = changeListSchema.safeParse(data);
      if (!parsed.success)
        throw new DriveError('permanent', 'Google Drive changes.list: malformed answer', 200, undefined);
      return parsed.data;
    },

    /** A Google Doc exported as `mimeType` (`text/html` or `text/markdown`). */
    async exportDoc(fileId: string, mimeType: string, signal?: AbortSignal): Promise<Buffer> {
      // https://developers.google.com/drive/api/reference/rest/v3/files/export
      const data = await send('files.export', signal, (init) =>
        api.files.export({ fileId, mimeType }, { ...init, responseType: 'arraybuffer' }),
      );
      return Buffer.from(data as ArrayBuffer);
    },

    /** A stored file's bytes (`alt=media`). */
    async download(fileId: string, signal?: AbortSignal): Promise<Buffer> {
      // https://developers.google.com/drive/api/guides/manage-downloads
      const data = await send('files.get alt=media', signal, (init) =>
        api.files.get(
          { fileId, alt: 'media', supportsAllDrives: true },
          { ...init, responseType: 'arraybuffer' },
        ),
      );
      return Buffer.from(data as ArrayBuffer);
    },
  };
}

export type DriveClient = ReturnType<typeof createDriveClient>;
