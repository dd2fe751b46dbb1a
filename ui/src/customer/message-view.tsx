import { ConfirmationPrompt, VerificationStep } from './action-prompts.tsx';
import type { ProposedAction } from './action-summary.ts';
import type { ChatDataParts, ChatMessage } from './chat-types.ts';
import { useCustomerText } from './i18n.ts';
import { messageText } from './live-merge.ts';
import { MarkdownText } from './markdown-text.tsx';
import { ResultCards, ToolCallChip } from './tool-cards.tsx';

export interface MessageContext {
  /** Relative citation links point at the support site (the API's origin), not the host page. */
  linkBase: string;
  /** A customer message follows this one (its confirmation was answered). */
  answered: boolean;
  busy: boolean;
  verified: boolean;
  /** The actions of the last confirmation before this message: what a completed write's card shows. */
  confirmed: ProposedAction[];
  onAnswer(decision: 'confirm' | 'decline', actionId: string): void;
  onCode(code: string): void;
  onResend(email: string): void;
}

/** One chat message: its text, sources, connector chips, result cards and any prompt it carries. */
export function MessageView({ message, context }: { message: ChatMessage; context: MessageContext }) {
  const { t } = useCustomerText();
  const text = messageText(message);
  const calls: Array<ChatDataParts['tool-call']> = [];
  const sources: Array<{ url: string; title?: string }> = [];
  for (const part of message.parts) {
    if (part.type === 'data-tool-call') calls.push(part.data);
    // A source cited twice in one reply (or by two of its parts) is listed once.
    if (part.type === 'source-url' && !sources.some((source) => sameSource(source.url, part.url)))
      sources.push(part);
  }
  const author = message.metadata?.author ?? (message.role === 'user' ? 'customer' : 'agent');
  if (author === 'system') {
    return text ? <li className="message message-system">{text}</li> : null;
  }
  // A reply with nothing to show (no text, card, source or prompt) is not an empty bubble.
  const shown = message.parts.some((part) =>
    ['data-confirmation', 'data-verification', 'data-escalation', 'data-resolution'].includes(part.type),
  );
  if (!text && calls.length === 0 && sources.length === 0 && !shown) return null;

  const authorLabel =
    author === 'customer'
      ? t('author.you')
      : author === 'human'
        ? message.metadata?.authorName
          ? t('author.human', { name: message.metadata.authorName })
          : t('author.supportTeam')
        : t('author.assistant');

  return (
    <li className={`message message-${message.role === 'user' ? 'customer' : author}`}>
      <span className="message-author">{authorLabel}</span>
      {calls.length > 0 && (
        <ul className="chips" aria-label={t('message.checked')}>
          {calls.map((call, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: parts of one message keep their order
            <li key={index}>
              <ToolCallChip call={call} />
            </li>
          ))}
        </ul>
      )}
      {text &&
        (author === 'customer' ? (
          // The customer's own words are shown as typed.
          <p className="message-text">{text}</p>
        ) : (
          <MarkdownText text={text} linkBase={context.linkBase} />
        ))}
      <ResultCards calls={calls} text={text} confirmed={context.confirmed} />
      {sources.length > 0 && (
        <div className="sources">
          <span>{t('message.sources')}</span>
          <ul>
            {sources.map((source) => (
              <li key={source.url}>
                <a href={resolveLink(source.url, context.linkBase)} target="_blank" rel="noopener noreferrer">
                  {source.title || source.url}
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
      {message.parts.map((part, index) => {
        switch (part.type) {
          case 'data-confirmation':
            return (
              <ConfirmationPrompt
                // biome-ignore lint/suspicious/noArrayIndexKey: parts of one message keep their order
                key={index}
                // The reply text is the question already: the box only asks to confirm.
                confirmation={{ ...part.data, prompt: t('confirm.pleaseConfirm') }}
                answered={context.answered}
                disabled={context.busy}
                onAnswer={context.onAnswer}
              />
            );
          case 'data-verification':
            return (
              <VerificationStep
                // biome-ignore lint/suspicious/noArrayIndexKey: parts of one message keep their order
                key={index}
                email={part.data.email}
                verified={context.verified}
                disabled={context.busy}
                onCode={context.onCode}
                onResend={context.onResend}
              />
            );
          case 'data-escalation':
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts of one message keep their order
              <p key={index} className="note">
                {t('message.handedOver')}
              </p>
            );
          case 'data-resolution':
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts of one message keep their order
              <p key={index} className="note note-ok">
                {part.data.outcome === 'resolved' ? t('message.resolved') : t('message.answered')}
              </p>
            );
          default:
            return null;
        }
      })}
    </li>
  );
}

/** Two links to the same article (one with a `#section` or a trailing slash) are one source. */
function sameSource(a: string, b: string): boolean {
  const key = (url: string) => url.replace(/#.*$/, '').replace(/\/+$/, '');
  return key(a) === key(b);
}

function resolveLink(url: string, base: string): string {
  try {
    return new URL(url, base || window.location.href).href;
  } catch {
    return url;
  }
}
