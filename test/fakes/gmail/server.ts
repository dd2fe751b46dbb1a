import { createSign, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { GoogleTokenBook } from '../google-oauth/token-book.ts';
import { type FakeAttachment, type FakeMessagePart, mimeTreeOf, topHeader } from './mime.ts';

/**
 * A local fake of the Gmail API v1 (https://developers.google.com/gmail/api/reference/rest) for one
 * mailbox, on 127.0.0.1: profile, watch/stop, history, messages (list, get in every format,
 * attachments, send, modify), threads and labels. Bearer tokens and scopes are checked against the
 * shared token book as Google does per method; errors come in Google's JSON shape. It also plays
 * Cloud Pub/Sub's push subscription: `push()` POSTs the notification `users.watch` promises to a
 * configured endpoint, with an OIDC token signed by a key whose certificate it serves at
 * `oauth2/v1/certs` (Google's federated sign-on certificates endpoint).
 */

const scope = {
  full: 'https://mail.google.com/',
  modify: 'https://www.googleapis.com/auth/gmail.modify',
  readonly: 'https://www.googleapis.com/auth/gmail.readonly',
  metadata: 'https://www.googleapis.com/auth/gmail.metadata',
  compose: 'https://www.googleapis.com/auth/gmail.compose',
  send: 'https://www.googleapis.com/auth/gmail.send',
  labels: 'https://www.googleapis.com/auth/gmail.labels',
};

/** The Gmail v1 methods the fake implements. */
export type GmailOperation =
  | 'getProfile'
  | 'watch'
  | 'stop'
  | 'history.list'
  | 'messages.list'
  | 'messages.get'
  | 'messages.send'
  | 'messages.modify'
  | 'attachments.get'
  | 'threads.get'
  | 'labels.list'
  | 'labels.create';

/** The scopes any one of which allows each method, as the reference lists them. */
const scopesOf: Record<GmailOperation, string[]> = {
  getProfile: [scope.full, scope.modify, scope.readonly, scope.metadata, scope.compose],
  watch: [scope.full, scope.modify, scope.readonly, scope.metadata],
  stop: [scope.full, scope.modify, scope.readonly, scope.metadata],
  'history.list': [scope.full, scope.modify, scope.readonly, scope.metadata],
  'messages.list': [scope.full, scope.modify, scope.readonly, scope.metadata],
  'messages.get': [scope.full, scope.modify, scope.readonly, scope.metadata],
  'attachments.get': [scope.full, scope.modify, scope.readonly],
  'messages.send': [scope.full, scope.modify, scope.compose, scope.send],
  'messages.modify': [scope.full, scope.modify],
  'threads.get': [scope.full, scope.modify, scope.readonly, scope.metadata],
  'labels.list': [scope.full, scope.modify, scope.readonly, scope.metadata, scope.labels],
  'labels.create': [scope.full, scope.modify, scope.labels],
};

/** A message in the fake mailbox. */
export interface FakeGmailMessage {
  id: string;
  threadId: string;
  labelIds: Set<string>;
  raw: Buffer;
  historyId: number;
  internalDate: number;
  payload: FakeMessagePart;
  attachments: FakeAttachment[];
  messageIdHeader?: string;
  subject: string;
}

interface HistoryRecord {
  id: number;
  messagesAdded?: Array<{ messageId: string }>;
  labelsAdded?: Array<{ messageId: string; labelIds: string[] }>;
}

/** One request the fake received, for assertions. */
export interface FakeGmailRequest {
  method: string;
  path: string;
  operation: GmailOperation | undefined;
  query: URLSearchParams;
  status: number;
}

interface QueuedFailure {
  status: number | 'garbage' | 'lost';
  headers: Record<string, string>;
  afterApplying: boolean;
  operation?: GmailOperation;
}

/** Where `push()` delivers, as a Pub/Sub push subscription with authentication configured. */
export interface FakePushSubscription {
  endpoint: string;
  /** The OIDC token's `aud` (Pub/Sub's default is the endpoint URL). */
  audience: string;
  /** The service account the token names (`email` claim). */
  serviceAccountEmail: string;
  subscription?: string;
}

export interface FakeGmail {
  /** Root URL to pass as `rootUrl` (ends with a slash). */
  url: string;
  /** The mailbox address (`users.getProfile` emailAddress). */
  account: string;
  messages: Map<string, FakeGmailMessage>;
  labels: Map<string, { id: string; name: string; type: 'system' | 'user' }>;
  requests: FakeGmailRequest[];
  /** The current mailbox history id. */
  historyId(): number;
  /** The active `users.watch`, if any. */
  watch(): { topicName: string; expiration: number; labelIds: string[] } | null;
  /**
   * A mail arriving from outside: parsed into a message in INBOX (threaded as Gmail threads: a
   * referenced Message-ID of a thread and the same subject), recorded in history. Returns its ids.
   */
  deliver(raw: string | Buffer, options?: { labelIds?: string[] }): FakeGmailMessage;
  /** History before the current id is forgotten: `history.list` from an older id answers 404. */
  expireHistory(): void;
  /** Configures the push subscription `push()` delivers to. */
  subscribe(subscription: FakePushSubscription): void;
  /**
   * Publishes the watch's notification to the push endpoint (what Pub/Sub does after a mailbox
   * change), signed with the fake's key; `token` overrides the Authorization (tests of refusal).
   * Returns the endpoint's HTTP status.
   */
  push(options?: { token?: string | null; historyId?: number }): Promise<number>;
  /** Signs an OIDC ID token as Google's service-account tokens look (for refusal tests). */
  signIdToken(claims: Record<string, unknown>): string;
  /** The next `times` calls (of `operation`) fail: an HTTP error, a broken body, or a lost response. */
  failNext(
    status: number | 'garbage' | 'lost',
    options?: {
      times?: number;
      afterApplying?: boolean;
      operation?: GmailOperation;
      headers?: Record<string, string>;
    },
  ): void;
  /** The messages we sent (label SENT), oldest first. */
  sent(): FakeGmailMessage[];
  /** The messages of a thread, oldest first. */
  thread(threadId: string): FakeGmailMessage[];
  /** Sends with a threadId whose headers did not fit the thread (Gmail then starts a new thread). */
  threadingMisses: Array<{ threadId: string; reason: string }>;
  close(): Promise<void>;
}

const reasons: Record<number, { reason: string; message: string; status: string }> = {
  400: { reason: 'invalidArgument', message: 'Invalid argument', status: 'INVALID_ARGUMENT' },
  401: { reason: 'authError', message: 'Invalid Credentials', status: 'UNAUTHENTICATED' },
  403: { reason: 'insufficientPermissions', message: 'Insufficient Permission', status: 'PERMISSION_DENIED' },
  404: { reason: 'notFound', message: 'Requested entity was not found.', status: 'NOT_FOUND' },
  409: { reason: 'alreadyExists', message: 'Label name exists or conflicts', status: 'ALREADY_EXISTS' },
  429: {
    reason: 'rateLimitExceeded',
    message: 'Too many concurrent requests for user.',
    status: 'RESOURCE_EXHAUSTED',
  },
  500: { reason: 'backendError', message: 'Backend Error', status: 'INTERNAL' },
  503: { reason: 'backendError', message: 'The service is currently unavailable.', status: 'UNAVAILABLE' },
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function sendError(
  response: ServerResponse,
  status: number,
  reason?: string,
  message?: string,
  headers = {},
) {
  const known = reasons[status] ?? reasons[500]!;
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  response.end(
    JSON.stringify({
      error: {
        code: status,
        message: message ?? known.message,
        errors: [{ message: message ?? known.message, domain: 'global', reason: reason ?? known.reason }],
        status: known.status,
      },
    }),
  );
}

/** Subject as Gmail compares it for threading: without reply/forward prefixes, case and spacing. */
export const threadSubject = (subject: string): string =>
  subject
    .replace(/^\s*((re|fwd?|aw|sv)\s*:\s*)+/i, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();

const systemLabels = ['INBOX', 'SENT', 'UNREAD', 'IMPORTANT', 'SPAM', 'TRASH', 'DRAFT', 'STARRED'];

const messageIdsIn = (value: string | undefined): string[] => value?.match(/<[^<>\s]+>/g) ?? [];

/** Starts the fake for `account` on an ephemeral port; tokens are checked against `tokens`. */
export async function startFakeGmail(options: {
  tokens: GoogleTokenBook;
  account?: string;
  /** Messages per `messages.list` page and history records per page when the caller gives none. */
  pageSize?: number;
}): Promise<FakeGmail> {
  const account = options.account ?? 'support@lumen.example';
  const messages = new Map<string, FakeGmailMessage>();
  const labels = new Map<string, { id: string; name: string; type: 'system' | 'user' }>(
    systemLabels.map((id) => [id, { id, name: id, type: 'system' as const }]),
  );
  const history: HistoryRecord[] = [];
  const requests: FakeGmailRequest[] = [];
  const failures: QueuedFailure[] = [];
  const threadingMisses: FakeGmail['threadingMisses'] = [];
  let historyId = 1000 + Math.floor(Math.random() * 1000);
  let oldestHistoryId = 0;
  let watch: { topicName: string; expiration: number; labelIds: string[] } | null = null;
  let subscription: FakePushSubscription | null = null;
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyId = randomBytes(20).toString('hex');
  const hexId = () => randomBytes(8).toString('hex');

  const threadOf = (threadId: string) =>
    [...messages.values()].filter((m) => m.threadId === threadId).sort((a, b) => a.historyId - b.historyId);

  /** The thread a message with these headers joins, as Gmail threads (references + same subject). */
  function threadFor(raw: Buffer, subject: string): string | null {
    const referenced = [
      ...messageIdsIn(topHeader(raw, 'in-reply-to')),
      ...messageIdsIn(topHeader(raw, 'references')),
    ];
    for (const message of [...messages.values()].reverse()) {
      if (message.messageIdHeader && referenced.includes(message.messageIdHeader)) {
        if (threadSubject(message.subject) === threadSubject(subject)) return message.threadId;
      }
    }
    return null;
  }

  function store(raw: Buffer, labelIds: string[], threadId: string | null): FakeGmailMessage {
    const id = hexId();
    historyId += 1;
    const tree = mimeTreeOf(raw, () => `ANGjdJ${randomBytes(48).toString('base64url')}`);
    const subject = topHeader(raw, 'subject') ?? '';
    const messageIdHeader = messageIdsIn(topHeader(raw, 'message-id'))[0];
    const message: FakeGmailMessage = {
      id,
      threadId: threadId ?? id,
      labelIds: new Set(labelIds),
      raw,
      historyId,
      internalDate: Date.now(),
      payload: tree.payload,
      attachments: tree.attachments,
      ...(messageIdHeader ? { messageIdHeader } : {}),
      subject,
    };
    messages.set(id, message);
    history.push({ id: historyId, messagesAdded: [{ messageId: id }] });
    return message;
  }

  const minimal = (message: FakeGmailMessage) => ({
    id: message.id,
    threadId: message.threadId,
    labelIds: [...message.labelIds],
  });

  function resource(message: FakeGmailMessage, format: string, metadataHeaders: string[]) {
    const base = {
      ...minimal(message),
      snippet: message.payload.parts
        ? ''
        : Buffer.from(message.payload.body.data ?? '', 'base64url')
            .toString('utf8')
            .slice(0, 100),
      historyId: String(message.historyId),
      internalDate: String(message.internalDate),
      sizeEstimate: message.raw.length,
    };
    if (format === 'minimal') return base;
    if (format === 'raw') return { ...base, raw: message.raw.toString('base64url') };
    if (format === 'metadata') {
      const wanted = metadataHeaders.map((name) => name.toLowerCase());
      return {
        ...base,
        payload: {
          ...message.payload,
          headers: message.payload.headers.filter(
            (header) => wanted.length === 0 || wanted.includes(header.name.toLowerCase()),
          ),
          body: { size: 0 },
          parts: undefined,
        },
      };
    }
    return { ...base, payload: message.payload };
  }

  const getMessage = (id: string) => {
    const message = messages.get(id);
    if (!message) throw new HttpProblem(404, 'notFound', 'Requested entity was not found.');
    return message;
  };

  async function send(body: { raw?: unknown; threadId?: unknown }) {
    if (typeof body.raw !== 'string' || body.raw === '')
      throw new HttpProblem(
        400,
        'invalidArgument',
        "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
      );
    const raw = Buffer.from(body.raw, 'base64url');
    let parsed: Awaited<ReturnType<typeof simpleParser>>;
    try {
      parsed = await simpleParser(raw);
    } catch {
      throw new HttpProblem(400, 'invalidArgument', 'Invalid RFC822 message');
    }
    const to = parsed.to ? (Array.isArray(parsed.to) ? parsed.to : [parsed.to]) : [];
    if (!to.some((group) => group.value.some((address) => address.address)))
      throw new HttpProblem(400, 'invalidArgument', 'Recipient address required');
    const from = parsed.from?.value[0]?.address?.toLowerCase();
    if (from && from !== account.toLowerCase())
      // Without a verified send-as alias, Gmail sends as the account (the fake refuses to be precise).
      throw new HttpProblem(
        400,
        'invalidArgument',
        `Invalid From: ${from} is not a send-as alias of ${account}`,
      );
    let threadId: string | null = null;
    if (body.threadId !== undefined) {
      if (typeof body.threadId !== 'string' || threadOf(body.threadId).length === 0)
        throw new HttpProblem(404, 'notFound', 'Requested entity was not found.');
      // Gmail's rule for a reply to thread: threadId, RFC 2822 In-Reply-To/References naming the
      // thread, and the same Subject (https://developers.google.com/gmail/api/guides/threads).
      const thread = threadOf(body.threadId);
      const referenced = [
        ...messageIdsIn(topHeader(raw, 'in-reply-to')),
        ...messageIdsIn(topHeader(raw, 'references')),
      ];
      const names = thread.some((m) => m.messageIdHeader && referenced.includes(m.messageIdHeader));
      const sameSubject = threadSubject(parsed.subject ?? '') === threadSubject(thread[0]!.subject);
      if (names && sameSubject) threadId = body.threadId;
      else
        threadingMisses.push({
          threadId: body.threadId,
          reason: names ? 'subject differs' : 'In-Reply-To/References name no message of the thread',
        });
    }
    let stored = raw;
    if (!parsed.messageId) {
      stored = Buffer.concat([Buffer.from(`Message-ID: <${randomUUID()}@mail.gmail.com>\r\n`), raw]);
    }
    return minimal(store(stored, ['SENT'], threadId));
  }

  function listMessages(query: URLSearchParams) {
    const q = query.get('q') ?? '';
    const labelFilter = query.getAll('labelIds');
    const msgid = /rfc822msgid:(\S+)/.exec(q)?.[1];
    const inSent = /\bin:sent\b/.test(q);
    let found = [...messages.values()]
      .filter((m) => labelFilter.every((label) => m.labelIds.has(label)))
      .filter((m) => !inSent || m.labelIds.has('SENT'))
      .filter((m) => !msgid || m.messageIdHeader === (msgid.startsWith('<') ? msgid : `<${msgid}>`))
      .filter(
        (m) =>
          query.get('includeSpamTrash') === 'true' || !(m.labelIds.has('SPAM') || m.labelIds.has('TRASH')),
      )
      .sort((a, b) => b.historyId - a.historyId);
    const size = Number(query.get('maxResults') ?? options.pageSize ?? 100);
    const start = Number(query.get('pageToken') ?? 0);
    const total = found.length;
    found = found.slice(start, start + size);
    return {
      ...(found.length ? { messages: found.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
      ...(start + size < total ? { nextPageToken: String(start + size) } : {}),
      resultSizeEstimate: total,
    };
  }

  function listHistory(query: URLSearchParams) {
    const start = query.get('startHistoryId');
    if (!start || !/^\d+$/.test(start))
      throw new HttpProblem(400, 'invalidArgument', 'Invalid startHistoryId');
    if (Number(start) < oldestHistoryId)
      throw new HttpProblem(404, 'notFound', 'Requested entity was not found.');
    const types = query.getAll('historyTypes');
    const labelId = query.get('labelId');
    const size = Number(query.get('maxResults') ?? options.pageSize ?? 100);
    const pageToken = query.get('pageToken');
    const records = history
      .filter((record) => record.id > Number(start) && (!pageToken || record.id > Number(pageToken)))
      .map((record) => {
        const added = (record.messagesAdded ?? [])
          .map(({ messageId }) => messages.get(messageId))
          .filter((m): m is FakeGmailMessage => !!m && (!labelId || m.labelIds.has(labelId)));
        const labelled = (record.labelsAdded ?? []).filter(({ messageId }) => {
          const m = messages.get(messageId);
          return !!m && (!labelId || m.labelIds.has(labelId));
        });
        const wantAdded = types.length === 0 || types.includes('messageAdded');
        const wantLabels = types.length === 0 || types.includes('labelAdded');
        const shown = [
          ...(wantAdded ? added.map((m) => m.id) : []),
          ...(wantLabels ? labelled.map((l) => l.messageId) : []),
        ];
        return {
          id: String(record.id),
          messages: shown.map((id) => ({ id, threadId: messages.get(id)!.threadId })),
          ...(wantAdded && added.length
            ? { messagesAdded: added.map((m) => ({ message: minimal(m) })) }
            : {}),
          ...(wantLabels && labelled.length
            ? {
                labelsAdded: labelled.map((l) => ({
                  message: minimal(messages.get(l.messageId)!),
                  labelIds: l.labelIds,
                })),
              }
            : {}),
        };
      })
      .filter((record) => record.messages.length > 0);
    const page = records.slice(0, size);
    return {
      ...(page.length ? { history: page } : {}),
      ...(records.length > size ? { nextPageToken: page[page.length - 1]!.id } : {}),
      historyId: String(historyId),
    };
  }

  function modify(id: string, body: { addLabelIds?: unknown; removeLabelIds?: unknown }) {
    const message = getMessage(id);
    const add = Array.isArray(body.addLabelIds) ? body.addLabelIds.map(String) : [];
    const remove = Array.isArray(body.removeLabelIds) ? body.removeLabelIds.map(String) : [];
    for (const label of [...add, ...remove])
      if (!labels.has(label)) throw new HttpProblem(400, 'invalidArgument', `Invalid label: ${label}`);
    const added = add.filter((label) => !message.labelIds.has(label));
    for (const label of add) message.labelIds.add(label);
    for (const label of remove) message.labelIds.delete(label);
    if (added.length) {
      historyId += 1;
      history.push({ id: historyId, labelsAdded: [{ messageId: id, labelIds: added }] });
    }
    return minimal(message);
  }

  function operationOf(
    method: string,
    path: string,
  ): { operation: GmailOperation; params: string[] } | undefined {
    const match = /^\/gmail\/v1\/users\/([^/]+)\/(.*)$/.exec(path);
    if (!match) return undefined;
    const rest = match[2]!;
    const table: Array<[string, RegExp, GmailOperation]> = [
      ['GET', /^profile$/, 'getProfile'],
      ['POST', /^watch$/, 'watch'],
      ['POST', /^stop$/, 'stop'],
      ['GET', /^history$/, 'history.list'],
      ['GET', /^messages$/, 'messages.list'],
      ['POST', /^messages\/send$/, 'messages.send'],
      ['GET', /^messages\/([^/]+)\/attachments\/([^/]+)$/, 'attachments.get'],
      ['POST', /^messages\/([^/]+)\/modify$/, 'messages.modify'],
      ['GET', /^messages\/([^/]+)$/, 'messages.get'],
      ['GET', /^threads\/([^/]+)$/, 'threads.get'],
      ['GET', /^labels$/, 'labels.list'],
      ['POST', /^labels$/, 'labels.create'],
    ];
    for (const [verb, pattern, operation] of table) {
      const found = verb === method ? pattern.exec(rest) : null;
      if (found)
        return {
          operation,
          params: [decodeURIComponent(match[1]!), ...found.slice(1).map(decodeURIComponent)],
        };
    }
    return undefined;
  }

  async function route(
    operation: GmailOperation,
    params: string[],
    query: URLSearchParams,
    body: Record<string, unknown>,
  ) {
    switch (operation) {
      case 'getProfile':
        return {
          emailAddress: account,
          messagesTotal: messages.size,
          threadsTotal: new Set([...messages.values()].map((m) => m.threadId)).size,
          historyId: String(historyId),
        };
      case 'watch': {
        if (typeof body.topicName !== 'string' || !/^projects\/[^/]+\/topics\/[^/]+$/.test(body.topicName))
          throw new HttpProblem(400, 'invalidArgument', 'Invalid topicName');
        // Gmail renews by calling watch again; a watch lasts 7 days.
        watch = {
          topicName: body.topicName,
          expiration: Date.now() + 7 * 24 * 3600 * 1000,
          labelIds: Array.isArray(body.labelIds) ? body.labelIds.map(String) : [],
        };
        return { historyId: String(historyId), expiration: String(watch.expiration) };
      }
      case 'stop':
        watch = null;
        return undefined;
      case 'history.list':
        return listHistory(query);
      case 'messages.list':
        return listMessages(query);
      case 'messages.get': {
        const format = query.get('format') ?? 'full';
        if (!['full', 'raw', 'metadata', 'minimal'].includes(format))
          throw new HttpProblem(400, 'invalidArgument', `Invalid format: ${format}`);
        return resource(getMessage(params[1]!), format, query.getAll('metadataHeaders'));
      }
      case 'attachments.get': {
        const attachment = getMessage(params[1]!).attachments.find((a) => a.id === params[2]);
        if (!attachment) throw new HttpProblem(404, 'notFound', 'Requested entity was not found.');
        return { size: attachment.data.length, data: attachment.data.toString('base64url') };
      }
      case 'messages.send':
        return send(body);
      case 'messages.modify':
        return modify(params[1]!, body);
      case 'threads.get': {
        const thread = threadOf(params[1]!);
        if (thread.length === 0) throw new HttpProblem(404, 'notFound', 'Requested entity was not found.');
        const format = query.get('format') ?? 'full';
        return {
          id: params[1],
          historyId: String(Math.max(...thread.map((m) => m.historyId))),
          messages: thread.map((m) => resource(m, format, query.getAll('metadataHeaders'))),
        };
      }
      case 'labels.list':
        return { labels: [...labels.values()] };
      case 'labels.create': {
        const name = typeof body.name === 'string' ? body.name.trim() : '';
        if (!name) throw new HttpProblem(400, 'invalidArgument', 'Invalid label name');
        if ([...labels.values()].some((label) => label.name.toLowerCase() === name.toLowerCase()))
          throw new HttpProblem(409, 'alreadyExists', 'Label name exists or conflicts');
        const label = { id: `Label_${labels.size + 1}`, name, type: 'user' as const };
        labels.set(label.id, label);
        return {
          ...label,
          labelListVisibility: body.labelListVisibility,
          messageListVisibility: body.messageListVisibility,
        };
      }
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/oauth2/v1/certs') {
      response.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=3600',
      });
      response.end(JSON.stringify({ [keyId]: signing.publicKey.export({ type: 'spki', format: 'pem' }) }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const found = operationOf(method, url.pathname);
    const record: FakeGmailRequest = {
      method,
      path: url.pathname,
      operation: found?.operation,
      query: url.searchParams,
      status: 0,
    };
    requests.push(record);
    const failureIndex = failures.findIndex((f) => !f.operation || f.operation === found?.operation);
    const failure = failureIndex >= 0 ? failures.splice(failureIndex, 1)[0] : undefined;
    const fail = (queued: QueuedFailure) => {
      if (queued.status === 'lost') {
        record.status = -1;
        response.socket?.destroy();
        return;
      }
      if (queued.status === 'garbage') {
        record.status = 200;
        response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
        response.end('{"id": "18c');
        return;
      }
      record.status = queued.status;
      const headers = queued.status === 429 ? { 'retry-after': '1', ...queued.headers } : queued.headers;
      sendError(response, queued.status, undefined, undefined, headers);
    };
    try {
      if (failure && !failure.afterApplying) return fail(failure);
      if (!found) throw new HttpProblem(404, 'notFound', `No such method: ${method} ${url.pathname}`);
      const check = options.tokens.check(request.headers.authorization, scopesOf[found.operation]);
      if (!check.ok) throw new HttpProblem(check.status, check.reason, check.message);
      const user = found.params[0]!;
      if (user !== 'me' && user.toLowerCase() !== account.toLowerCase())
        throw new HttpProblem(403, 'forbidden', 'Delegation denied for the requested user');
      if (check.token.subject.toLowerCase() !== account.toLowerCase())
        throw new HttpProblem(403, 'forbidden', 'The token does not act for this mailbox');
      let body: Record<string, unknown> = {};
      if (method === 'POST' && chunks.length > 0) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new HttpProblem(400, 'parseError', 'Invalid JSON payload received.');
        }
      }
      const result = await route(found.operation, found.params, url.searchParams, body);
      if (failure) return fail(failure);
      record.status = result === undefined ? 204 : 200;
      if (result === undefined) {
        response.writeHead(204);
        response.end();
      } else {
        response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
        response.end(JSON.stringify(result));
      }
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      if (failure) return fail(failure);
      record.status = error.status;
      sendError(response, error.status, error.reason, error.message);
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, 'backendError', (error as Error).message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function signIdToken(claims: Record<string, unknown>): string {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: keyId, typ: 'JWT' })).toString(
      'base64url',
    );
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const signature = createSign('RSA-SHA256')
      .update(`${header}.${payload}`)
      .sign(signing.privateKey)
      .toString('base64url');
    return `${header}.${payload}.${signature}`;
  }

  return {
    url: `http://127.0.0.1:${port}/`,
    account,
    messages,
    labels,
    requests,
    threadingMisses,
    historyId: () => historyId,
    watch: () => watch,
    deliver(raw, deliverOptions = {}) {
      const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
      const subject = topHeader(bytes, 'subject') ?? '';
      return store(bytes, deliverOptions.labelIds ?? ['INBOX', 'UNREAD'], threadFor(bytes, subject));
    },
    expireHistory() {
      oldestHistoryId = historyId;
    },
    subscribe(next) {
      subscription = next;
    },
    async push(pushOptions = {}) {
      if (!subscription) throw new Error('no push subscription: call subscribe() first');
      const now = Math.floor(Date.now() / 1000);
      const token =
        pushOptions.token === undefined
          ? signIdToken({
              iss: 'https://accounts.google.com',
              aud: subscription.audience,
              azp: '1234567890',
              email: subscription.serviceAccountEmail,
              email_verified: true,
              sub: '1234567890',
              iat: now,
              exp: now + 3600,
            })
          : pushOptions.token;
      const data = Buffer.from(
        JSON.stringify({ emailAddress: account, historyId: pushOptions.historyId ?? historyId }),
      ).toString('base64');
      const response = await fetch(subscription.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({
          message: {
            data,
            messageId: String(Date.now()),
            message_id: String(Date.now()),
            publishTime: new Date().toISOString(),
          },
          subscription: subscription.subscription ?? 'projects/switchboard-test/subscriptions/gmail-push',
        }),
      });
      await response.arrayBuffer();
      return response.status;
    },
    signIdToken,
    failNext(status, failOptions = {}) {
      for (let index = 0; index < (failOptions.times ?? 1); index++)
        failures.push({
          status,
          headers: failOptions.headers ?? {},
          afterApplying: failOptions.afterApplying ?? false,
          ...(failOptions.operation ? { operation: failOptions.operation } : {}),
        });
    },
    sent: () =>
      [...messages.values()].filter((m) => m.labelIds.has('SENT')).sort((a, b) => a.historyId - b.historyId),
    thread: threadOf,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
