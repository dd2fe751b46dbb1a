import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport } from 'ai';
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useEventStream } from '../shared/event-stream.ts';
import { requestJson } from '../shared/http.ts';
import { ConfirmationPrompt, VerificationStep, VerifyEmailForm } from './action-prompts.tsx';
import type { ChatAction, ChatMessage, CustomerMessage } from './chat-types.ts';
import {
  type ConversationSession,
  rememberAccessToken,
  useConversationSession,
} from './conversation-session.ts';
import { CsatPrompt } from './csat-prompt.tsx';
import {
  mergeStoredMessages,
  messageText,
  readConversation,
  readStoredMessage,
  toChatMessage,
  unconfirmed,
} from './live-merge.ts';
import { MessageView } from './message-view.tsx';

interface ChatPanelProps {
  /** Where the API is: '' for this origin, the script's origin in the widget. */
  apiBase: string;
  /** The host page's signed identity token for its logged-in user, if any. */
  identityToken: string | null;
  heading?: string;
  /** The widget's close button. */
  onClose?(): void;
  /** Focus the message box once the chat is ready (the widget, right after it opens). */
  autoFocus?: boolean;
}

/** The customer chat: starts or resumes the conversation, then shows it. */
export function ChatPanel({
  apiBase,
  identityToken,
  heading = 'Lumen Cloud support',
  onClose,
  autoFocus = false,
}: ChatPanelProps) {
  const { state, retry, startOver } = useConversationSession(apiBase, identityToken);
  return (
    <section className="chat" aria-label={heading}>
      <header className="chat-header">
        <h2>{heading}</h2>
        <div className="button-row">
          {state.kind === 'ready' && (
            <button type="button" className="link-button" onClick={startOver}>
              New chat
            </button>
          )}
          {onClose && (
            <button type="button" className="icon-button" onClick={onClose} aria-label="Close chat">
              ×
            </button>
          )}
        </div>
      </header>
      {state.kind === 'loading' && <p className="chat-status">Connecting…</p>}
      {state.kind === 'failed' && (
        <div className="chat-status" role="alert">
          <p>We could not start the chat: {state.message}</p>
          <button type="button" onClick={retry}>
            Try again
          </button>
        </div>
      )}
      {state.kind === 'ready' && (
        <Conversation
          key={state.session.conversationId}
          apiBase={apiBase}
          session={state.session}
          autoFocus={autoFocus}
        />
      )}
    </section>
  );
}

// While the agent waits for a person (a hand-off, or an action above its limit) it stays silent.
const waitingForPerson: Record<string, string> = {
  escalated: 'A person will reply here.',
  claimed: 'A person from our team is on it.',
  waiting_approval: 'A person from our team is reviewing your request.',
};

/**
 * What the customer pressed, in their own words: the transcript shows it so, as the API stores it
 * (agent/turn-input.ts `customerWords`), so the stored message and this one de-duplicate.
 */
function actionText(action: ChatAction): string {
  if (action.kind === 'confirmation')
    return action.decision === 'confirm' ? 'Yes, please go ahead.' : "No, please don't do that.";
  if (action.kind === 'verification-email') return `Please verify me. My account email is ${action.email}`;
  return action.code;
}

function Conversation({
  apiBase,
  session,
  autoFocus,
}: {
  apiBase: string;
  session: ConversationSession;
  autoFocus: boolean;
}) {
  const base = `${apiBase}/api/conversations/${encodeURIComponent(session.conversationId)}`;
  const [status, setStatus] = useState(session.initial.status);
  const [verified, setVerified] = useState(session.initial.verified || session.customer !== null);
  const [pending, setPending] = useState(session.initial.pending);
  const [csat, setCsat] = useState(session.initial.csat);
  const [askEmail, setAskEmail] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const [input, setInput] = useState('');
  const queuedLive = useRef<CustomerMessage[]>([]);
  // Replaced once when a one-time code verifies the visitor (`data-access-token`): the old one stops working.
  const [accessToken, setAccessToken] = useState(session.accessToken);
  const tokenRef = useRef(accessToken);
  tokenRef.current = accessToken;

  const transport = useMemo(
    () =>
      new DefaultChatTransport<ChatMessage>({
        api: `${base}/messages`,
        // The bearer token is the only credential: no cookies, so the widget works from any origin.
        credentials: 'omit',
        prepareSendMessagesRequest: ({ messages }) => {
          const last = messages.at(-1);
          const action = last?.metadata?.action;
          const id = last?.id;
          const headers = { authorization: `Bearer ${tokenRef.current}` };
          // Confirm / Decline and the verification steps have their own endpoints; each streams the turn.
          if (action?.kind === 'confirmation')
            return {
              api: `${base}/confirmation`,
              headers,
              body: { decision: action.decision, actionId: action.actionId, id },
            };
          if (action?.kind === 'verification-email')
            return { api: `${base}/verification`, headers, body: { email: action.email, id } };
          if (action?.kind === 'verification-code')
            return { api: `${base}/verification/confirm`, headers, body: { code: action.code, id } };
          return { headers, body: { id, text: last ? messageText(last) : '' } };
        },
      }),
    [base],
  );

  const refetchRef = useRef<() => Promise<void>>(async () => {});
  const chat = useChat<ChatMessage>({
    id: session.conversationId,
    messages: session.initial.messages.map(toChatMessage),
    transport,
    onData: (part) => {
      if (part.type === 'data-status') setStatus(part.data.status);
      if (part.type === 'data-access-token') {
        tokenRef.current = part.data.accessToken;
        setAccessToken(part.data.accessToken);
        rememberAccessToken(apiBase, session.conversationId, part.data.accessToken);
      }
      if (part.type === 'data-escalation') setStatus('escalated');
      if (part.type === 'data-confirmation' || part.type === 'data-verification') setPending(null);
    },
    onFinish: ({ message }) => {
      const text = messageText(message);
      if (text) setAnnouncement(`Assistant: ${text}`);
      // The turn may have verified the customer or changed what the agent waits for.
      void refetchRef.current();
    },
  });
  const { setMessages, clearError } = chat;
  const busy = chat.status === 'submitted' || chat.status === 'streaming';
  const busyRef = useRef(busy);
  busyRef.current = busy;

  // Live agent messages wait while a reply streams in: it is the same message, merged once it ends.
  const mergeLive = useCallback(
    (stored: CustomerMessage[]) => {
      const now = busyRef.current ? stored.filter((message) => message.role !== 'agent') : stored;
      if (busyRef.current) queuedLive.current.push(...stored.filter((message) => message.role === 'agent'));
      if (now.length > 0) setMessages((current) => mergeStoredMessages(current, now));
    },
    [setMessages],
  );
  useEffect(() => {
    if (!busy && queuedLive.current.length > 0) {
      const queued = queuedLive.current.splice(0);
      setMessages((current) => mergeStoredMessages(current, queued));
    }
  }, [busy, setMessages]);

  const hadError = Boolean(chat.error);
  const refetch = useCallback(async () => {
    try {
      const state = readConversation(
        await requestJson(base, { headers: { authorization: `Bearer ${tokenRef.current}` } }),
      );
      setStatus(state.status);
      setPending(state.pending);
      setCsat(state.csat);
      if (state.verified) setVerified(true);
      if (busyRef.current) return;
      setMessages((current) => {
        // A reply cut off by a dropped connection is replaced by the stored one.
        const last = current.at(-1);
        const kept =
          hadError && last?.role === 'assistant' && unconfirmed(last) ? current.slice(0, -1) : current;
        return mergeStoredMessages(kept, state.messages);
      });
      if (hadError) clearError();
    } catch {
      // Still offline: the event stream retries and calls us again.
    }
  }, [base, setMessages, hadError, clearError]);
  refetchRef.current = refetch;

  const streamState = useEventStream(`${base}/events?access_token=${encodeURIComponent(accessToken)}`, {
    types: ['message', 'status', 'escalation'],
    onEvent: ({ type, data }) => {
      const event = (data ?? {}) as Record<string, unknown>;
      if (type === 'message') {
        const stored = readStoredMessage(event);
        if (!stored) return;
        mergeLive([stored]);
        if (stored.role === 'human') setAnnouncement(`Support team: ${stored.text}`);
      } else if (type === 'status' && typeof event.status === 'string') {
        setStatus(event.status);
      } else if (type === 'escalation') {
        void refetch();
      }
    },
    onReconnect: () => void refetch(),
  });

  useEffect(() => {
    const online = () => void refetch();
    window.addEventListener('online', online);
    return () => window.removeEventListener('online', online);
  }, [refetch]);

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    const text = input.trim();
    if (!text || busy) return;
    setInput('');
    void chat.sendMessage({ text });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) send(event);
  };
  const sendAction = (action: ChatAction) => {
    setPending(null);
    setAskEmail(false);
    void chat.sendMessage({ text: actionText(action), metadata: { action } });
  };

  const messages = chat.messages;
  const lastUserIndex = messages.findLastIndex((message) => message.role === 'user');
  const last = messages.at(-1);
  const lastHas = (type: string) => Boolean(last?.parts.some((part) => part.type === type));
  const context = {
    linkBase: apiBase,
    busy,
    verified,
    onAnswer: (decision: 'confirm' | 'decline', actionId: string) =>
      sendAction({ kind: 'confirmation', decision, actionId }),
    onCode: (code: string) => sendAction({ kind: 'verification-code', code }),
    onResend: (email: string) => sendAction({ kind: 'verification-email', email }),
  };

  const listRef = useRef<HTMLOListElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll whenever the messages change
  useEffect(() => {
    // Only the message list scrolls, never the host page.
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [messages]);

  return (
    <>
      <div className="chat-identity">
        <span>
          {session.customer
            ? `Signed in as ${session.customer.name || session.customer.email}`
            : verified
              ? 'Email verified'
              : 'Chatting as a guest'}
        </span>
        {!verified && !askEmail && (
          <button type="button" className="link-button" onClick={() => setAskEmail(true)}>
            Verify my email
          </button>
        )}
      </div>
      {askEmail && !verified && (
        <div className="chat-inline-form">
          <VerifyEmailForm
            disabled={busy}
            onSubmit={(email) => sendAction({ kind: 'verification-email', email })}
            onCancel={() => setAskEmail(false)}
          />
        </div>
      )}
      {waitingForPerson[status] && (
        <div className="banner banner-person" role="status">
          <strong>{waitingForPerson[status]}</strong> Their replies appear in this chat as soon as they are
          sent — keep this page open.
        </div>
      )}
      {status === 'resolved' && (
        <div className="banner banner-ok">This conversation is resolved. You can still write to us.</div>
      )}
      {streamState === 'reconnecting' && (
        <p className="banner banner-warn" role="status">
          Connection lost — reconnecting. Nothing you sent is lost.
        </p>
      )}
      <ol className="messages" ref={listRef} aria-label="Conversation">
        {messages.length === 0 && (
          <li className="message message-agent">
            <span className="message-author">Lumen assistant</span>
            <p className="message-text">
              Hi! Ask me about your account, billing, bookings or anything in our help center.
            </p>
          </li>
        )}
        {messages.map((message, index) => (
          <MessageView
            key={message.id}
            message={message}
            context={{ ...context, answered: index < lastUserIndex }}
          />
        ))}
        {!busy && pending?.kind === 'confirmation' && pending.actionId && !lastHas('data-confirmation') && (
          <li className="message message-agent">
            <ConfirmationPrompt
              confirmation={{
                prompt: 'Shall I go ahead?',
                actionId: pending.actionId,
                actions: pending.actions,
              }}
              answered={false}
              disabled={busy}
              onAnswer={context.onAnswer}
            />
          </li>
        )}
        {!busy && pending?.kind === 'verification_code' && !lastHas('data-verification') && (
          <li className="message message-agent">
            <VerificationStep
              email={null}
              verified={verified}
              disabled={busy}
              onCode={context.onCode}
              onResend={null}
            />
          </li>
        )}
        {chat.status === 'submitted' && (
          <li className="message message-agent typing">
            <span className="sr-only">The assistant is typing</span>
            <span aria-hidden="true">…</span>
          </li>
        )}
      </ol>
      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      {chat.error && (
        <div className="banner banner-warn" role="alert">
          <p>
            The connection dropped. If your message reached us, the reply will appear here when we are back
            online.
          </p>
          {last?.role === 'user' && unconfirmed(last) && (
            <button type="button" onClick={() => void chat.regenerate()}>
              Send again
            </button>
          )}
        </div>
      )}
      {!busy && !waitingForPerson[status] && (
        <CsatPrompt url={`${base}/csat`} accessToken={accessToken} csat={csat} onRated={setCsat} />
      )}
      <form className="composer" onSubmit={send}>
        <label htmlFor={`composer-${session.conversationId}`} className="sr-only">
          Your message
        </label>
        <textarea
          id={`composer-${session.conversationId}`}
          rows={2}
          value={input}
          placeholder="Write a message…"
          onChange={(event) => setInput(event.target.value)}
          onKeyDown={onKeyDown}
          maxLength={4000}
          // biome-ignore lint/a11y/noAutofocus: only in the widget, right after the visitor opened it
          autoFocus={autoFocus}
        />
        <button type="submit" className="primary" disabled={busy || input.trim() === ''}>
          Send
        </button>
      </form>
    </>
  );
}
