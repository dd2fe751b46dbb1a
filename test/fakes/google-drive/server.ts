import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GoogleTokenBook } from '../google-oauth/token-book.ts';

/**
 * A local fake of the Google Drive v3 methods the Drive knowledge source reads, on 127.0.0.1, as the
 * reference documents them (https://developers.google.com/drive/api/reference/rest/v3): files.list
 * (a `q` subset, `fields` masks, pageSize/pageToken), files.get (metadata, `alt=media`),
 * files.export, permissions.list, changes.getStartPageToken and changes.list. Bearer tokens and
 * scopes are checked against the shared token book; errors come in Google's JSON shape
 * (https://developers.google.com/drive/api/guides/handle-errors). Every helper that changes a file
 * (add, edit, trash, move, delete, share) appends an entry to the changes feed as Drive does.
 */

export const folderMimeType = 'application/vnd.google-apps.folder';
export const googleDocMimeType = 'application/vnd.google-apps.document';

/** A permission as Drive returns it (https://developers.google.com/drive/api/reference/rest/v3/permissions). */
export interface FakePermission {
  id: string;
  type: 'user' | 'group' | 'domain' | 'anyone';
  role: 'owner' | 'organizer' | 'fileOrganizer' | 'writer' | 'commenter' | 'reader';
  emailAddress?: string;
  domain?: string;
  allowFileDiscovery?: boolean;
}

export interface FakeDriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  trashed: boolean;
  createdTime: string;
  modifiedTime: string;
  /** Drive's monotonically increasing version of the file (metadata or content). */
  version: number;
  /** Content: Docs hold their HTML; other files their bytes. Folders none. */
  content?: Buffer;
  /** A Doc's export size as Drive would see it (defaults to the HTML's size): tests of the 10 MB limit. */
  exportSize?: number;
  permissions: FakePermission[];
}

/** One request the fake received, for assertions. */
export interface FakeDriveRequest {
  operation: FakeDriveOperation | 'unknown';
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export type FakeDriveOperation =
  | 'files.list'
  | 'files.get'
  | 'files.media'
  | 'files.export'
  | 'permissions.list'
  | 'changes.getStartPageToken'
  | 'changes.list';

interface QueuedFailure {
  status: number | 'drop';
  reason?: string;
  headers: Record<string, string>;
  afterApplying: boolean;
  operation?: FakeDriveOperation;
}

interface ChangeEntry {
  seq: number;
  fileId: string;
  time: string;
  removed: boolean;
}

export interface FakeGoogleDrive {
  /** Root URL to pass as `rootUrl` (ends with a slash). */
  url: string;
  files: Map<string, FakeDriveFile>;
  requests: FakeDriveRequest[];
  /** Adds a file (a Doc's `content` is its HTML) and records the change. */
  addFile(file: {
    name: string;
    mimeType: string;
    parents: string[];
    content?: string | Buffer;
    permissions?: Array<Omit<FakePermission, 'id'>>;
    id?: string;
  }): FakeDriveFile;
  addFolder(name: string, parent: string, id?: string): FakeDriveFile;
  /** New content and/or name: a new version, modifiedTime now. */
  editFile(
    id: string,
    change: { content?: string | Buffer; name?: string; exportSize?: number },
  ): FakeDriveFile;
  trashFile(id: string, trashed?: boolean): void;
  /** Deletes the file for good: the feed reports it `removed`. */
  deleteFile(id: string): void;
  moveFile(id: string, parents: string[]): void;
  /** Replaces the file's permissions (sharing changed). */
  setPermissions(id: string, permissions: Array<Omit<FakePermission, 'id'>>): void;
  /**
   * The next `times` calls answer `status` in Google's error shape (`reason` defaults per status:
   * 403 `userRateLimitExceeded`, 429 `rateLimitExceeded`…), or `'drop'`: the connection is cut with
   * no answer. With `afterApplying` the call is carried out first and only its answer is lost.
   */
  failNext(
    status: number | 'drop',
    options?: {
      times?: number;
      reason?: string;
      headers?: Record<string, string>;
      afterApplying?: boolean;
      operation?: FakeDriveOperation;
    },
  ): void;
  /** Every change page token handed out so far is refused from now on (400 invalid pageToken, as Drive answers a token it rejects). */
  expireChangeTokens(): void;
  /** The current start page token (what changes.getStartPageToken answers). */
  startPageToken(): string;
  close(): Promise<void>;
}

const metadataScopes = [
  'https://www.googleapis.com/auth/drive',
  'https://www.googleapis.com/auth/drive.readonly',
  'https://www.googleapis.com/auth/drive.file',
  'https://www.googleapis.com/auth/drive.metadata',
  'https://www.googleapis.com/auth/drive.metadata.readonly',
];
const contentScopes = [
  'https://www.googleapis.com/auth/drive',
  'https://www.googleapis.com/auth/drive.readonly',
  'https://www.googleapis.com/auth/drive.file',
];

/** Drive refuses exports larger than this (https://developers.google.com/drive/api/reference/rest/v3/files/export). */
export const exportSizeLimit = 10 * 1024 * 1024;

const exportFormats: Record<string, string[]> = {
  [googleDocMimeType]: ['text/html', 'text/markdown', 'text/plain', 'application/pdf'],
};

const defaultReasons: Record<number, { reason: string; message: string }> = {
  400: { reason: 'badRequest', message: 'Bad Request' },
  401: { reason: 'authError', message: 'Invalid Credentials' },
  403: { reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' },
  404: { reason: 'notFound', message: 'File not found.' },
  410: { reason: 'deleted', message: 'Resource has been deleted' },
  429: { reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' },
  500: { reason: 'backendError', message: 'Backend Error' },
  502: { reason: 'backendError', message: 'Bad Gateway' },
  503: { reason: 'backendError', message: 'Service Unavailable' },
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly location?: string,
  ) {
    super(message);
  }
}

const invalid = (location: string, message = `Invalid Value`) =>
  new HttpProblem(400, 'invalid', message, location);

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  response.end(JSON.stringify(body));
}

function sendError(
  response: ServerResponse,
  status: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
  location?: string,
) {
  const error = {
    domain: reason.endsWith('RateLimitExceeded') || reason === 'rateLimitExceeded' ? 'usageLimits' : 'global',
    reason,
    message,
    ...(location ? { locationType: 'parameter', location } : {}),
  };
  sendJson(response, status, { error: { code: status, message, errors: [error] } }, headers);
}

// ---- fields masks: `nextPageToken,files(id,name,permissions(type,role))` ----

type Mask = Map<string, Mask | true>;

export function parseFieldMask(fields: string): Mask {
  let position = 0;
  const parseList = (): Mask => {
    const mask: Mask = new Map();
    while (position < fields.length) {
      const match = /^\s*([A-Za-z_*][\w*/]*)\s*/.exec(fields.slice(position));
      if (!match) throw invalid('fields', `Invalid field selection ${fields}`);
      position += match[0].length;
      // `a/b` selects b inside a.
      const path = match[1]!.split('/');
      let sub: Mask | true = true;
      if (fields[position] === '(') {
        position += 1;
        sub = parseList();
        if (fields[position] !== ')') throw invalid('fields', `Invalid field selection ${fields}`);
        position += 1;
      }
      for (let index = path.length - 1; index > 0; index--) sub = new Map([[path[index]!, sub]]);
      mask.set(path[0]!, sub);
      while (fields[position] === ' ') position += 1;
      if (fields[position] === ',') {
        position += 1;
        continue;
      }
      break;
    }
    return mask;
  };
  const mask = parseList();
  if (position !== fields.length) throw invalid('fields', `Invalid field selection ${fields}`);
  return mask;
}

function project(value: unknown, mask: Mask | true): unknown {
  if (mask === true || mask.has('*')) return value;
  if (Array.isArray(value)) return value.map((item) => project(item, mask));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of mask) {
    const entry = (value as Record<string, unknown>)[key];
    if (entry !== undefined) out[key] = project(entry, sub);
  }
  return out;
}

// ---- q: the subset of the search language the source uses ----

type Predicate = (file: FakeDriveFile) => boolean;

/** `'<id>' in parents`, `trashed = true|false`, `mimeType = '…'` / `!=`, `name = '…'`, joined by `and`. */
export function parseQuery(q: string): Predicate {
  const terms = q.split(/\s+and\s+/i).map((term) => term.trim());
  const predicates = terms.map((term): Predicate => {
    let match = /^'((?:[^'\\]|\\.)+)'\s+in\s+parents$/.exec(term);
    if (match) {
      const parent = match[1]!.replace(/\\(.)/g, '$1');
      return (file) => file.parents.includes(parent);
    }
    match = /^trashed\s*(=|!=)\s*(true|false)$/.exec(term);
    if (match) {
      const want = (match[2] === 'true') === (match[1] === '=');
      return (file) => file.trashed === want;
    }
    match = /^(mimeType|name)\s*(=|!=)\s*'((?:[^'\\]|\\.)*)'$/.exec(term);
    if (match) {
      const [, field, op, raw] = match;
      const value = raw!.replace(/\\(.)/g, '$1');
      return (file) => (file[field as 'mimeType' | 'name'] === value) === (op === '=');
    }
    throw invalid('q', 'Invalid Value');
  });
  return (file) => predicates.every((predicate) => predicate(file));
}

const md5 = (content: Buffer) => createHash('md5').update(content).digest('hex');
const isGoogleApp = (mimeType: string) => mimeType.startsWith('application/vnd.google-apps.');

/** HTML → a rough Markdown, enough for `text/markdown` exports of the fake's Docs. */
function roughMarkdown(html: string): string {
  return html
    .replace(
      /<h([1-6])[^>]*>(.*?)<\/h\1>/gis,
      (_, level: string, text: string) => `${'#'.repeat(Number(level))} ${text}\n\n`,
    )
    .replace(/<li[^>]*>(.*?)<\/li>/gis, '- $1\n')
    .replace(/<(strong|b)>(.*?)<\/\1>/gis, '**$2**')
    .replace(/<\/p>/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Starts the fake on an ephemeral port; tokens come from `tokens` (the shared Google token book). */
export async function startFakeGoogleDrive(options: {
  tokens: GoogleTokenBook;
  /** The id of the caller's My Drive root folder (the `root` alias). */
  rootId?: string;
}): Promise<FakeGoogleDrive> {
  const rootId = options.rootId ?? 'root-folder';
  const files = new Map<string, FakeDriveFile>();
  const changes: ChangeEntry[] = [];
  const requests: FakeDriveRequest[] = [];
  const failures: QueuedFailure[] = [];
  let nextSeq = 1;
  let expiredBelow = 0;
  let clock = Date.now();
  const now = () => {
    // Strictly increasing times, so every change has its own modifiedTime.
    clock = Math.max(clock + 1, Date.now());
    return new Date(clock).toISOString();
  };
  const record = (fileId: string, removed = false) => {
    changes.push({ seq: nextSeq++, fileId, time: now(), removed });
  };
  const newId = () => randomBytes(16).toString('base64url').replace(/^[-_]/, 'A');
  const withIds = (permissions: Array<Omit<FakePermission, 'id'>>) =>
    permissions.map((permission) => ({
      id: permission.type === 'anyone' ? 'anyoneWithLink' : newId().slice(0, 20),
      ...permission,
    }));
  const existing = (id: string) => {
    const file = files.get(id);
    if (!file) throw new Error(`fake Drive: no file ${id}`);
    return file;
  };
  const touch = (file: FakeDriveFile, content: boolean) => {
    file.version += 1;
    if (content) file.modifiedTime = now();
    record(file.id);
  };

  const resource = (file: FakeDriveFile) => ({
    kind: 'drive#file',
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    parents: file.parents,
    trashed: file.trashed,
    createdTime: file.createdTime,
    modifiedTime: file.modifiedTime,
    version: String(file.version),
    webViewLink: isGoogleApp(file.mimeType)
      ? `https://docs.google.com/document/d/${file.id}/edit?usp=drivesdk`
      : `https://drive.google.com/file/d/${file.id}/view?usp=drivesdk`,
    ...(file.content && !isGoogleApp(file.mimeType)
      ? { md5Checksum: md5(file.content), size: String(file.content.byteLength) }
      : {}),
    permissions: file.permissions,
    capabilities: { canDownload: true },
  });
  const defaultFileMask = parseFieldMask('kind,id,name,mimeType');

  const fileOr404 = (id: string) => {
    const file = files.get(id === 'root' ? rootId : id);
    if (!file) throw new HttpProblem(404, 'notFound', `File not found: ${id}.`, 'fileId');
    return file;
  };

  function pageSizeOf(query: Record<string, string>, max: number, fallback: number): number {
    if (query.pageSize === undefined) return fallback;
    const size = Number(query.pageSize);
    if (!Number.isInteger(size) || size < 1 || size > max) throw invalid('pageSize');
    return size;
  }

  function listFiles(query: Record<string, string>) {
    const predicate = query.q ? parseQuery(query.q) : () => true;
    const size = pageSizeOf(query, 1000, 100);
    const matching = [...files.values()].filter((file) => file.id !== rootId && predicate(file));
    let offset = 0;
    if (query.pageToken) {
      const decoded = /^files:(\d+):(.*)$/.exec(Buffer.from(query.pageToken, 'base64url').toString());
      if (!decoded || decoded[2] !== (query.q ?? '')) throw invalid('pageToken');
      offset = Number(decoded[1]);
    }
    const page = matching.slice(offset, offset + size);
    const more = offset + size < matching.length;
    const mask = query.fields
      ? parseFieldMask(query.fields)
      : new Map<string, Mask | true>([
          ['kind', true],
          ['files', defaultFileMask],
        ]);
    return project(
      {
        kind: 'drive#fileList',
        incompleteSearch: false,
        files: page.map(resource),
        ...(more
          ? { nextPageToken: Buffer.from(`files:${offset + size}:${query.q ?? ''}`).toString('base64url') }
          : {}),
      },
      mask,
    );
  }

  function listChanges(query: Record<string, string>) {
    const token = query.pageToken;
    if (!token) throw new HttpProblem(400, 'required', 'Required parameter: pageToken', 'pageToken');
    if (!/^\d+$/.test(token) || Number(token) < expiredBelow || Number(token) > nextSeq)
      throw invalid('pageToken');
    const size = pageSizeOf(query, 1000, 100);
    const includeRemoved = query.includeRemoved !== 'false';
    const start = Number(token);
    const pending = changes.filter((change) => change.seq >= start);
    // Drive lists each file once, in its latest state, at its latest change.
    const latest = new Map<string, ChangeEntry>();
    for (const change of pending) latest.set(change.fileId, change);
    const ordered = [...latest.values()].sort((a, b) => a.seq - b.seq);
    const page = ordered.slice(0, size);
    const more = ordered.length > size;
    const entries = page
      .map((change) => {
        const file = files.get(change.fileId);
        const removed = change.removed || !file;
        if (removed && !includeRemoved) return null;
        return {
          kind: 'drive#change',
          changeType: 'file',
          type: 'file',
          time: change.time,
          removed,
          fileId: change.fileId,
          ...(removed || !file ? {} : { file: resource(file) }),
        };
      })
      .filter((entry) => entry !== null);
    const mask = query.fields
      ? parseFieldMask(query.fields)
      : parseFieldMask(
          'kind,nextPageToken,newStartPageToken,changes(kind,changeType,time,removed,fileId,file(kind,id,name,mimeType))',
        );
    return project(
      {
        kind: 'drive#changeList',
        changes: entries,
        ...(more ? { nextPageToken: String(page.at(-1)!.seq + 1) } : { newStartPageToken: String(nextSeq) }),
      },
      mask,
    );
  }

  function route(operation: FakeDriveOperation | 'unknown', path: string, query: Record<string, string>) {
    // Parameters every method accepts; a wrong value is refused as Drive does.
    for (const flag of [
      'supportsAllDrives',
      'includeItemsFromAllDrives',
      'includeRemoved',
      'acknowledgeAbuse',
    ]) {
      if (query[flag] !== undefined && !['true', 'false'].includes(query[flag]!)) throw invalid(flag);
    }
    const fileId = /^\/drive\/v3\/files\/([^/]+)/.exec(path)?.[1];
    const id = fileId === undefined ? '' : decodeURIComponent(fileId);
    switch (operation) {
      case 'files.list':
        return { json: listFiles(query) };
      case 'files.get':
        return {
          json: project(
            resource(fileOr404(id)),
            query.fields ? parseFieldMask(query.fields) : defaultFileMask,
          ),
        };
      case 'files.media': {
        const file = fileOr404(id);
        if (isGoogleApp(file.mimeType))
          throw new HttpProblem(
            403,
            'fileNotDownloadable',
            'Only files with binary content can be downloaded. Use Export with Docs Editors files.',
            'alt',
          );
        return { bytes: file.content ?? Buffer.alloc(0), contentType: file.mimeType };
      }
      case 'files.export': {
        const file = fileOr404(id);
        const formats = exportFormats[file.mimeType];
        if (!formats)
          throw new HttpProblem(
            403,
            'fileNotExportable',
            'Export only supports Docs Editors files.',
            'fileId',
          );
        if (!query.mimeType)
          throw new HttpProblem(400, 'required', 'Required parameter: mimeType', 'mimeType');
        if (!formats.includes(query.mimeType))
          throw invalid('mimeType', `Invalid value for mimeType: ${query.mimeType}`);
        const html = (file.content ?? Buffer.alloc(0)).toString('utf8');
        if ((file.exportSize ?? Buffer.byteLength(html)) > exportSizeLimit)
          throw new HttpProblem(403, 'exportSizeLimitExceeded', 'This file is too large to be exported.');
        const body =
          query.mimeType === 'text/html'
            ? `<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type"></head><body>${html}</body></html>`
            : query.mimeType === 'text/markdown'
              ? roughMarkdown(html)
              : roughMarkdown(html).replace(/[#*]/g, '');
        return { bytes: Buffer.from(body, 'utf8'), contentType: `${query.mimeType}; charset=utf-8` };
      }
      case 'permissions.list': {
        const file = fileOr404(id);
        const mask = query.fields
          ? parseFieldMask(query.fields)
          : parseFieldMask('kind,permissions(kind,id,type,role)');
        return {
          json: project(
            {
              kind: 'drive#permissionList',
              permissions: file.permissions.map((p) => ({ kind: 'drive#permission', ...p })),
            },
            mask,
          ),
        };
      }
      case 'changes.getStartPageToken':
        return { json: { kind: 'drive#startPageToken', startPageToken: String(nextSeq) } };
      case 'changes.list':
        return { json: listChanges(query) };
      default:
        throw new HttpProblem(404, 'notFound', 'Not Found');
    }
  }

  function operationOf(
    method: string,
    path: string,
    query: Record<string, string>,
  ): FakeDriveOperation | 'unknown' {
    if (method !== 'GET') return 'unknown';
    if (path === '/drive/v3/files') return 'files.list';
    if (path === '/drive/v3/changes') return 'changes.list';
    if (path === '/drive/v3/changes/startPageToken') return 'changes.getStartPageToken';
    if (/^\/drive\/v3\/files\/[^/]+\/export$/.test(path)) return 'files.export';
    if (/^\/drive\/v3\/files\/[^/]+\/permissions$/.test(path)) return 'permissions.list';
    if (/^\/drive\/v3\/files\/[^/]+$/.test(path)) return query.alt === 'media' ? 'files.media' : 'files.get';
    return 'unknown';
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    for await (const _ of request) {
      // Drain the body: every method here is a GET.
    }
    const operation = operationOf(method, url.pathname, query);
    const entry: FakeDriveRequest = { operation, method, path: url.pathname, query, status: 0 };
    requests.push(entry);
    const failureIndex = failures.findIndex((queued) => !queued.operation || queued.operation === operation);
    const failure = failureIndex >= 0 ? failures.splice(failureIndex, 1)[0] : undefined;
    const fail = (queued: QueuedFailure) => {
      if (queued.status === 'drop') {
        entry.status = -1;
        request.socket.destroy();
        return;
      }
      const known = defaultReasons[queued.status] ?? { reason: 'backendError', message: 'Backend Error' };
      entry.status = queued.status;
      sendError(response, queued.status, queued.reason ?? known.reason, known.message, queued.headers);
    };
    try {
      if (failure && !failure.afterApplying) return fail(failure);
      if (operation === 'unknown') throw new HttpProblem(404, 'notFound', 'Not Found');
      const check = options.tokens.check(
        request.headers.authorization,
        operation === 'files.media' || operation === 'files.export' ? contentScopes : metadataScopes,
      );
      if (!check.ok) throw new HttpProblem(check.status, check.reason, check.message);
      const result = route(operation, url.pathname, query);
      if (failure) return fail(failure);
      entry.status = 200;
      if ('json' in result) return sendJson(response, 200, result.json);
      response.writeHead(200, {
        'content-type': result.contentType,
        'content-length': String(result.bytes.byteLength),
      });
      response.end(result.bytes);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      if (failure) return fail(failure);
      entry.status = error.status;
      sendError(response, error.status, error.reason, error.message, {}, error.location);
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      sendError(response, 500, 'backendError', (error as Error).message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const created = now();
  files.set(rootId, {
    id: rootId,
    name: 'My Drive',
    mimeType: folderMimeType,
    parents: [],
    trashed: false,
    createdTime: created,
    modifiedTime: created,
    version: 1,
    permissions: [],
  });

  const fake: FakeGoogleDrive = {
    url: `http://127.0.0.1:${port}/`,
    files,
    requests,
    addFile(input) {
      const time = now();
      const file: FakeDriveFile = {
        id: input.id ?? newId(),
        name: input.name,
        mimeType: input.mimeType,
        parents: input.parents,
        trashed: false,
        createdTime: time,
        modifiedTime: time,
        version: 1,
        ...(input.content !== undefined
          ? {
              content: typeof input.content === 'string' ? Buffer.from(input.content, 'utf8') : input.content,
            }
          : {}),
        permissions: withIds(input.permissions ?? []),
      };
      files.set(file.id, file);
      record(file.id);
      return file;
    },
    addFolder(name, parent, id) {
      return fake.addFile({ name, mimeType: folderMimeType, parents: [parent], ...(id ? { id } : {}) });
    },
    editFile(id, change) {
      const file = existing(id);
      if (change.content !== undefined)
        file.content =
          typeof change.content === 'string' ? Buffer.from(change.content, 'utf8') : change.content;
      if (change.name !== undefined) file.name = change.name;
      if (change.exportSize !== undefined) file.exportSize = change.exportSize;
      touch(file, true);
      return file;
    },
    trashFile(id, trashed = true) {
      const file = existing(id);
      file.trashed = trashed;
      touch(file, false);
    },
    deleteFile(id) {
      existing(id);
      files.delete(id);
      record(id, true);
    },
    moveFile(id, parents) {
      const file = existing(id);
      file.parents = parents;
      touch(file, false);
    },
    setPermissions(id, permissions) {
      const file = existing(id);
      file.permissions = withIds(permissions);
      touch(file, false);
    },
    failNext(status, failOptions = {}) {
      for (let index = 0; index < (failOptions.times ?? 1); index++) {
        failures.push({
          status,
          headers: failOptions.headers ?? {},
          afterApplying: failOptions.afterApplying ?? false,
          ...(failOptions.reason ? { reason: failOptions.reason } : {}),
          ...(failOptions.operation ? { operation: failOptions.operation } : {}),
        });
      }
    },
    expireChangeTokens() {
      // Every token handed out so far (up to the current start token) is refused; new ones are not.
      nextSeq += 1;
      expiredBelow = nextSeq;
    },
    startPageToken: () => String(nextSeq),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return fake;
}
