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
}

const storageKeyFor = (apiBase: string) => `switchboard.conversation:${apiBase || window.location.origin}`;

function readStored(key: string): Stored | null {
  try {
    const raw = window.sessionStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

/**
 * Forgets the stored conversation of this API (the next load starts a new one) and revokes its
 * access token on the server, so it opens nothing any more (the customer signed out or ended it).
 */
export function forgetConversation(apiBase: string): void {
  const key = storageKeyFor(apiBase);
  const stored = readStored(key);
  window.sessionStorage.removeItem(key);
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
  if (stored?.conversationId === conversationId)
    window.sessionStorage.setItem(key, JSON.stringify({ ...stored, accessToken } satisfies Stored));
}

/**
 * Resumes this tab's conversation (sessionStorage: a reload keeps it, a new tab starts fresh) or
 * starts one, with the host page's identity token when it passed one.
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
      }>(`${apiBase}/api/conversations`, { method: 'POST', body: identityToken ? { identityToken } : {} });
      window.sessionStorage.setItem(
        key,
        JSON.stringify({
          conversationId: started.conversationId,
          accessToken: started.accessToken,
          customer: started.customer ?? null,
          identity: identityToken,
        } satisfies Stored),
      );
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
