import { type FormEvent, useState } from 'react';
import { humanize } from '../shared/format.ts';
import type { ChatDataParts } from './chat-types.ts';

/** "Shall I go ahead?" with the exact actions, and Confirm / Decline buttons. */
export function ConfirmationPrompt({
  confirmation,
  answered,
  disabled,
  onAnswer,
}: {
  confirmation: Pick<ChatDataParts['confirmation'], 'prompt' | 'actions' | 'actionId'>;
  answered: boolean;
  disabled: boolean;
  /** The answer to this confirmation (its `actionId`): a button press, never text. */
  onAnswer(decision: 'confirm' | 'decline', actionId: string): void;
}) {
  return (
    <fieldset className="confirmation">
      <legend>{confirmation.prompt || 'Shall I go ahead?'}</legend>
      {confirmation.actions.length > 0 && (
        <ul>
          {confirmation.actions.map((action, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the action list is fixed
            <li key={index}>
              {humanize(action.operation)} ({humanize(action.connector)})
              {action.input && Object.keys(action.input).length > 0 && (
                <span className="muted"> — {describeInput(action.input)}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      {answered ? (
        <p className="muted">Answered.</p>
      ) : (
        <div className="button-row">
          <button
            type="button"
            className="primary"
            disabled={disabled}
            onClick={() => onAnswer('confirm', confirmation.actionId)}
          >
            Confirm
          </button>
          <button
            type="button"
            disabled={disabled}
            onClick={() => onAnswer('decline', confirmation.actionId)}
          >
            Decline
          </button>
        </div>
      )}
    </fieldset>
  );
}

function describeInput(input: Record<string, unknown>): string {
  return Object.entries(input)
    .filter(([, value]) => value !== null && value !== undefined && typeof value !== 'object')
    .map(([key, value]) => `${humanize(key).toLowerCase()}: ${String(value)}`)
    .join(', ');
}

/** The email-verification step: enter the emailed 6-digit code (or have it sent again). */
export function VerificationStep({
  email,
  verified,
  disabled,
  onCode,
  onResend,
}: {
  /** Where the code went (null when the page was reloaded and only the server knows). */
  email: string | null;
  verified: boolean;
  disabled: boolean;
  onCode(code: string): void;
  onResend: ((email: string) => void) | null;
}) {
  const [code, setCode] = useState('');
  const valid = /^\d{6}$/.test(code.trim());
  if (verified) return <p className="note note-ok">Your email address is verified.</p>;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) onCode(code.trim());
  };

  return (
    <form className="verification" onSubmit={submit}>
      <p>
        We emailed a one-time code to {email ? <strong>{email}</strong> : 'the address on your account'}. It
        is valid for a few minutes.
      </p>
      <label>
        6-digit code
        <input
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="\d{6}"
          maxLength={6}
          required
          value={code}
          onChange={(event) => setCode(event.target.value.replace(/\D/g, ''))}
        />
      </label>
      <div className="button-row">
        <button type="submit" className="primary" disabled={disabled || !valid}>
          Verify
        </button>
        {email && onResend && (
          <button type="button" disabled={disabled} onClick={() => onResend(email)}>
            Send a new code
          </button>
        )}
      </div>
    </form>
  );
}

/** For a guest: ask for a code at their account email, so the assistant can act on their account. */
export function VerifyEmailForm({
  disabled,
  onSubmit,
  onCancel,
}: {
  disabled: boolean;
  onSubmit(email: string): void;
  onCancel(): void;
}) {
  const [email, setEmail] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (email.trim()) onSubmit(email.trim());
  };
  return (
    <form className="verification" onSubmit={submit}>
      <label>
        Your account email
        <input
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
      </label>
      <div className="button-row">
        <button type="submit" className="primary" disabled={disabled}>
          Email me a code
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
