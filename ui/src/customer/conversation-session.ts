import { useCallback, useEffect, useState } from 'react';
import { ApiRequestError, errorMessage, requestJson } from '../shared/http.ts';
import type { ChatCustomer, ConversationView } from './chat-types.ts';
import { readConversation } from './live-merge.ts';

/** A started conversation: its id and the token that authorizes every call on it. */
export interface ConversationSession {
  conversationId: string;
  accessToken: string;
  customer: ChatCustomer | null;
  /** What the server holds (messages, status…) when the page opened. */
  initial: ConversationView;
}

type SessionState =
  | { kind: 'loading' }
  | { kind: 'ready'; session: ConversationSession }
  | { kind: 'failed'; message: string };

interface Stored {
  conversationId: string;
  accessToken: string;
  customer: ChatCustomer | null;
  /** The identity token the conversation was started with, so signing in as someone else starts anew. */
  identity: string | null;
  /** How long the token lives unused (the server's `accessTokenTtlSeconds`; each use slides it). */
  ttlMs: number;
  /** When the token expires unless used again (epoch ms): an expired entry is forgotten. */
  expiresAt: number;
}

/** A server that does not say how long its tokens live: a day, well under its default (30 days). */
const fallbackTtlMs = 24 * 60 * 60_000;

const storageKeyFor = (apiBase: string) => `switchboard.conversation:${apiBase || window.location.origin}`;

/**
 * The conversation lives in localStorage, not sessionStorage: a reload, a new tab or a browser
 * restart finds it again (the customer told to keep the page open who reloads still sees the human's
 * reply), until its token expires or the customer signs out or starts a new chat.
 */
function readStored(key: string): Stored | null {
  try {
    const raw = window.localStorage.getItem(key);
    const stored = raw ? (JSON.parse(raw) as Partial<Stored>) : null;
    if (
      !stored ||
      typeof stored.conversationId !== 'string' ||
      typeof stored.accessToken !== 'string' ||
      typeof stored.expiresAt !== 'number' ||
      stored.expiresAt <= Date.now()
    ) {
      if (raw) window.localStorage.removeItem(key);
      return null;
    }
    return {
      conversationId: stored.conversationId,
      accessToken: stored.accessToken,
      customer: stored.customer ?? null,
      identity: stored.identity ?? null,
      ttlMs: typeof stored.ttlMs === 'number' ? stored.ttlMs : fallbackTtlMs,
      expiresAt: stored.expiresAt,
    };
  } catch {
    return null;
  }
}

/** Stores the conversation with its token's expiry, counted from now (a use slides it on the server too). */
function writeStored(key: string, stored: Omit<Stored, 'expiresAt'>): void {
  try {
    window.localStorage.setItem(
      key,
      JSON.stringify({ ...stored, expiresAt: Date.now() + stored.ttlMs } satisfies Stored),
    );
  } catch {
    // Storage full or disabled (private mode): the chat works, it just does not survive a reload.
  }
}

/**
 * Forgets the stored conversation of this API (the next load starts a new one) and revokes its
 * access token on the server, so it opens nothing any more (the customer signed out or ended it).
 */
export function forgetConversation(apiBase: string): void {
  const key = storageKeyFor(apiBase);
  const stored = readStored(key);
  window.localStorage.removeItem(key);
  if (stored) revokeAccessToken(apiBase, stored);
}

function revokeAccessToken(apiBase: string, stored: Pick<Stored, 'conversationId' | 'accessToken'>): void {
  void requestJson(
    `${apiBase}/api/conversations/${encodeURIComponent(stored.conversationId)}/access-token/revoke`,
    { method: 'POST', headers: { authorization: `Bearer ${stored.accessToken}` } },
  ).catch(() => {
    // Already expired, revoked or unreachable: nothing more to do on this side.
  });
}

/** Keeps the conversation's new access token (sent once when a one-time code verified the visitor). */
export function rememberAccessToken(apiBase: string, conversationId: string, accessToken: string): void {
  const key = storageKeyFor(apiBase);
  const stored = readStored(key);
  if (stored?.conversationId === conversationId) writeStored(key, { ...stored, accessToken });
}

/**
 * Resumes the stored conversation of this API (localStorage: a reload or another tab finds it, until
 * its token expires) or starts one, with the host page's identity token when it passed one. The
 * resumed page loads the messages that arrived meanwhile and re-attaches to the live stream
 * (chat-panel.tsx).
 */
export function useConversationSession(apiBase: string, identityToken: string | null) {
  const [state, setState] = useState<SessionState>({ kind: 'loading' });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    const key = storageKeyFor(apiBase);
    const load = async (): Promise<ConversationSession> => {
      const stored = readStored(key);
      // Signed out, or signed in as someone else: the old conversation's token is revoked.
      if (stored && stored.identity !== identityToken) revokeAccessToken(apiBase, stored);
      if (stored && stored.identity === identityToken) {
        try {
          const data = await requestJson(
            `${apiBase}/api/conversations/${encodeURIComponent(stored.conversationId)}`,
            {
              headers: { authorization: `Bearer ${stored.accessToken}` },
            },
          );
          const initial = readConversation(data);
          // The server slid the token's expiry on this use: so does the stored copy.
          writeStored(key, stored);
          return {
            conversationId: stored.conversationId,
            accessToken: stored.accessToken,
            customer: stored.customer ?? null,
            initial,
          };
        } catch (error) {
          // An expired or unknown conversation starts over; anything else (offline) is reported.
          if (!(error instanceof ApiRequestError) || ![401, 403, 404].includes(error.status)) throw error;
        }
      }
      const started = await requestJson<{
        conversationId: string;
        accessToken: string;
        customer?: ChatCustomer | null;
        accessTokenTtlSeconds?: number;
      }>(`${apiBase}/api/conversations`, { method: 'POST', body: identityToken ? { identityToken } : {} });
      writeStored(key, {
        conversationId: started.conversationId,
        accessToken: started.accessToken,
        customer: started.customer ?? null,
        identity: identityToken,
        ttlMs: started.accessTokenTtlSeconds ? started.accessTokenTtlSeconds * 1000 : fallbackTtlMs,
      });
      return {
        conversationId: started.conversationId,
        accessToken: started.accessToken,
        customer: started.customer ?? null,
        initial: {
          id: started.conversationId,
          status: 'open',
          outcome: null,
          verified: Boolean(started.customer),
          messages: [],
          pending: null,
          humanInvolved: false,
          csat: { state: 'not_yet' },
        },
      };
    };
    setState({ kind: 'loading' });
    void generation; // a retry or "new conversation" bumps it to load again
    load()
      .then((session) => !cancelled && setState({ kind: 'ready', session }))
      .catch((error) => !cancelled && setState({ kind: 'failed', message: errorMessage(error) }));
    return () => {
      cancelled = true;
    };
  }, [apiBase, identityToken, generation]);

  const retry = useCallback(() => setGeneration((value) => value + 1), []);
  const startOver = useCallback(() => {
    forgetConversation(apiBase);
    setGeneration((value) => value + 1);
  }, [apiBase]);
  return { state, retry, startOver };
}
