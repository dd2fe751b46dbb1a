import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport } from 'ai';
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useEventStream } from '../shared/event-stream.ts';
import { requestJson } from '../shared/http.ts';
import { ConfirmationPrompt, VerificationStep, VerifyEmailForm } from './action-prompts.tsx';
import type { ProposedAction } from './action-summary.ts';
import type { ChatAction, ChatMessage, ConversationView, CustomerMessage } from './chat-types.ts';
import {
  type ConversationSession,
  rememberAccessToken,
  useConversationSession,
} from './conversation-session.ts';
import { CsatPrompt } from './csat-prompt.tsx';
import { formatDuration } from './customer-format.ts';
import { useCustomerText } from './i18n.ts';
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
  /** The chat's title (default: the catalog's "Lumen Cloud support"). */
  heading?: string;
  /** The launcher's close button. */
  onClose?(): void;
  /** Focus the message box once the chat is ready (right after the launcher opened it). */
  autoFocus?: boolean;
}

/** The customer chat: starts or resumes the conversation, then shows it. */
export function ChatPanel({ apiBase, identityToken, heading, onClose, autoFocus = false }: ChatPanelProps) {
  const { t } = useCustomerText();
  const { state, retry, startOver } = useConversationSession(apiBase, identityToken);
  const title = heading ?? t('chat.heading');
  return (
    <section className="chat" aria-label={title}>
      <header className="chat-header">
        <h2>{title}</h2>
        <div className="button-row">
          {state.kind === 'ready' && (
            <button type="button" className="link-button" onClick={startOver}>
              {t('chat.newChat')}
            </button>
          )}
          {onClose && (
            <button type="button" className="icon-button" onClick={onClose} aria-label={t('chat.closeChat')}>
              ×
            </button>
          )}
        </div>
      </header>
      {state.kind === 'loading' && <p className="chat-status">{t('chat.connecting')}</p>}
      {state.kind === 'failed' && (
        <div className="chat-status" role="alert">
          <p>{t('chat.startFailed', { message: state.message })}</p>
          <button type="button" onClick={retry}>
            {t('chat.tryAgain')}
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
const waitingForPerson: Record<string, 'handoff.escalated' | 'handoff.claimed' | 'handoff.waitingApproval'> =
  {
    escalated: 'handoff.escalated',
    claimed: 'handoff.claimed',
    waiting_approval: 'handoff.waitingApproval',
  };

/**
 * What the customer pressed, in their own words: the transcript shows it so, as the API stores it
 * (agent/turn-input.ts `customerWords`), so the stored message and this one de-duplicate. These stay
 * English whatever the chat's language: they are what the API stores and matches.
 */
function actionText(action: ChatAction): string {
  if (action.kind === 'confirmation')
    return action.decision === 'confirm' ? 'Yes, please go ahead.' : "No, please don't do that.";
  if (action.kind === 'verification-email') return `Please verify me. My account email is ${action.email}`;
  return action.code;
}

/**
 * For each message, the actions of the last confirmation shown before it: the card a completed write
 * leaves is built from what the customer confirmed (the amount, the time), never from ids.
 */
function confirmedBefore(messages: ChatMessage[]): Array<ProposedAction[]> {
  let latest: ProposedAction[] = [];
  return messages.map((message) => {
    const current = latest;
    for (const part of message.parts) if (part.type === 'data-confirmation') latest = part.data.actions;
    return current;
  });
}

/** "We usually reply within 2 hours. Our team works Mon–Fri 9:00–17:00 CET." — only what is configured. */
function HandoffDetails({ support }: { support: ConversationView['support'] }) {
  const { t, locale } = useCustomerText();
  const parts = [
    support?.replyWithinMinutes
      ? t('handoff.replyWithin', { duration: formatDuration(support.replyWithinMinutes, locale) })
      : null,
    support?.hours ? t('handoff.hours', { hours: support.hours }) : null,
  ].filter(Boolean);
  return parts.length > 0 ? <span className="chat-handoff-details">{parts.join(' ')}</span> : null;
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
  const { t } = useCustomerText();
  const base = `${apiBase}/api/conversations/${encodeURIComponent(session.conversationId)}`;
  const [support, setSupport] = useState(session.initial.support);
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
      if (text) setAnnouncement(t('chat.announceAssistant', { text }));
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
      setSupport(state.support);
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
        if (stored.role === 'human')
          setAnnouncement(
            t('chat.announceHuman', {
              name: stored.authorName ?? t('author.supportTeam'),
              text: stored.text,
            }),
          );
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
  const confirmed = confirmedBefore(messages);
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
            ? t('chat.signedInAs', { name: session.customer.name || session.customer.email })
            : verified
              ? t('chat.emailVerified')
              : t('chat.guest')}
        </span>
        {!verified && !askEmail && (
          <button type="button" className="link-button" onClick={() => setAskEmail(true)}>
            {t('chat.verifyMyEmail')}
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
          <strong>{t(waitingForPerson[status])}</strong> {t('handoff.keepOpen')}
          <HandoffDetails support={support} />
        </div>
      )}
      {status === 'resolved' && <div className="banner banner-ok">{t('chat.resolved')}</div>}
      {streamState === 'reconnecting' && (
        <p className="banner banner-warn" role="status">
          {t('chat.reconnecting')}
        </p>
      )}
      <ol className="messages" ref={listRef} aria-label={t('chat.conversation')}>
        {messages.length === 0 && (
          <li className="message message-agent">
            <span className="message-author">{t('author.assistant')}</span>
            <p className="message-text">{t('chat.greeting')}</p>
          </li>
        )}
        {messages.map((message, index) => (
          <MessageView
            key={message.id}
            message={message}
            context={{ ...context, answered: index < lastUserIndex, confirmed: confirmed[index] ?? [] }}
          />
        ))}
        {!busy && pending?.kind === 'confirmation' && pending.actionId && !lastHas('data-confirmation') && (
          <li className="message message-agent">
            <ConfirmationPrompt
              confirmation={{
                prompt: t('confirm.question'),
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
            <span className="sr-only">{t('chat.typing')}</span>
            <span aria-hidden="true">…</span>
          </li>
        )}
      </ol>
      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      {chat.error && (
        <div className="banner banner-warn" role="alert">
          <p>{t('chat.dropped')}</p>
          {last?.role === 'user' && unconfirmed(last) && (
            <button type="button" onClick={() => void chat.regenerate()}>
              {t('chat.sendAgain')}
            </button>
          )}
        </div>
      )}
      {!busy && !waitingForPerson[status] && (
        <CsatPrompt url={`${base}/csat`} accessToken={accessToken} csat={csat} onRated={setCsat} />
      )}
      <form className="composer" onSubmit={send}>
        <label htmlFor={`composer-${session.conversationId}`} className="sr-only">
          {t('chat.yourMessage')}
        </label>
        <textarea
          id={`composer-${session.conversationId}`}
          rows={2}
          value={input}
          placeholder={t('chat.placeholder')}
          onChange={(event) => setInput(event.target.value)}
          onKeyDown={onKeyDown}
          maxLength={4000}
          // biome-ignore lint/a11y/noAutofocus: only in the widget, right after the visitor opened it
          autoFocus={autoFocus}
        />
        <button type="submit" className="primary" disabled={busy || input.trim() === ''}>
          {t('chat.send')}
        </button>
      </form>
    </>
  );
}
