import { type FormEvent, useState } from 'react';
import { describeAction } from './action-summary.ts';
import type { ChatDataParts } from './chat-types.ts';
import { customerTimeZone, useCustomerText } from './i18n.ts';

/**
 * "Please confirm" with what will be done, in the customer's words (amounts as money, times in their
 * time zone, no ids or field names), and Confirm / Decline buttons.
 */
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
  const { t, locale } = useCustomerText();
  const format = { t, locale, timeZone: customerTimeZone() };
  // Two actions that read the same (e.g. two refunds without their amounts) are listed once.
  const lines = [...new Set(confirmation.actions.map((action) => describeAction(action, format)))];
  return (
    <fieldset className="confirmation">
      <legend>{confirmation.prompt || t('confirm.question')}</legend>
      {lines.length > 0 && (
        <ul>
          {lines.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {answered ? (
        <p className="muted">{t('confirm.answered')}</p>
      ) : (
        <div className="button-row">
          <button
            type="button"
            className="primary"
            disabled={disabled}
            onClick={() => onAnswer('confirm', confirmation.actionId)}
          >
            {t('confirm.confirm')}
          </button>
          <button
            type="button"
            disabled={disabled}
            onClick={() => onAnswer('decline', confirmation.actionId)}
          >
            {t('confirm.decline')}
          </button>
        </div>
      )}
    </fieldset>
  );
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
  const { t } = useCustomerText();
  const [code, setCode] = useState('');
  const valid = /^\d{6}$/.test(code.trim());
  if (verified) return <p className="note note-ok">{t('verification.verified')}</p>;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) onCode(code.trim());
  };

  return (
    <form className="verification" onSubmit={submit}>
      <p>{email ? t('verification.sent', { email }) : t('verification.sentToAccount')}</p>
      <label>
        {t('verification.code')}
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
          {t('verification.verify')}
        </button>
        {email && onResend && (
          <button type="button" disabled={disabled} onClick={() => onResend(email)}>
            {t('verification.resend')}
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
  const { t } = useCustomerText();
  const [email, setEmail] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (email.trim()) onSubmit(email.trim());
  };
  return (
    <form className="verification" onSubmit={submit}>
      <label>
        {t('verification.accountEmail')}
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
          {t('verification.emailMeCode')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('verification.cancel')}
        </button>
      </div>
    </form>
  );
}
