import { humanize } from '../shared/format.ts';
import { ConfirmationPrompt, VerificationStep } from './action-prompts.tsx';
import type { ChatDataParts, ChatMessage } from './chat-types.ts';
import { messageText } from './live-merge.ts';
import { ResultCards, ToolCallChip } from './tool-cards.tsx';

export interface MessageContext {
  /** Relative citation links point at the support site (the API's origin), not the host page. */
  linkBase: string;
  /** A customer message follows this one (its confirmation was answered). */
  answered: boolean;
  busy: boolean;
  verified: boolean;
  onAnswer(decision: 'confirm' | 'decline', actionId: string): void;
  onCode(code: string): void;
  onResend(email: string): void;
}

function authorLabel(message: ChatMessage): string {
  if (message.role === 'user') return 'You';
  if (message.metadata?.author === 'human') return 'Support team';
  if (message.metadata?.author === 'system') return 'Note';
  return 'Lumen assistant';
}

/** One chat message: its text, sources, connector chips, result cards and any prompt it carries. */
export function MessageView({ message, context }: { message: ChatMessage; context: MessageContext }) {
  const text = messageText(message);
  const calls: Array<ChatDataParts['tool-call']> = [];
  const sources: Array<{ url: string; title?: string }> = [];
  for (const part of message.parts) {
    if (part.type === 'data-tool-call') calls.push(part.data);
    if (part.type === 'source-url' && !sources.some((source) => source.url === part.url)) sources.push(part);
  }
  const author = message.metadata?.author ?? (message.role === 'user' ? 'customer' : 'agent');
  if (author === 'system') {
    return text ? <li className="message message-system">{text}</li> : null;
  }

  return (
    <li className={`message message-${message.role === 'user' ? 'customer' : author}`}>
      <span className="message-author">{authorLabel(message)}</span>
      {calls.length > 0 && (
        <ul className="chips" aria-label="What the assistant checked">
          {calls.map((call, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: parts of one message keep their order
            <li key={index}>
              <ToolCallChip call={call} />
            </li>
          ))}
        </ul>
      )}
      {text && <p className="message-text">{text}</p>}
      <ResultCards calls={calls} text={text} />
      {sources.length > 0 && (
        <div className="sources">
          <span>Sources:</span>
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
                // The reply text usually is the prompt already: don't say it twice.
                confirmation={{
                  ...part.data,
                  prompt: part.data.prompt.trim() === text ? 'Please confirm' : part.data.prompt,
                }}
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
                Handed to our support team ({humanize(part.data.reason).toLowerCase()}).
              </p>
            );
          case 'data-resolution':
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts of one message keep their order
              <p key={index} className="note note-ok">
                {part.data.outcome === 'resolved' ? 'Resolved' : 'Answered'}
              </p>
            );
          default:
            return null;
        }
      })}
    </li>
  );
}

function resolveLink(url: string, base: string): string {
  try {
    return new URL(url, base || window.location.href).href;
  } catch {
    return url;
  }
}
