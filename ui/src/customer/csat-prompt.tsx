import { type FormEvent, useState } from 'react';
import { ApiRequestError, requestJson } from '../shared/http.ts';
import type { CsatView } from './chat-types.ts';
import { useCustomerText } from './i18n.ts';

const values = [1, 2, 3, 4, 5] as const;

/**
 * "How did we do?" once the conversation was answered or resolved: 1–5 and an optional comment, sent
 * once (the API refuses a second rating). A rating already given is shown back as thanks.
 */
export function CsatPrompt({
  url,
  accessToken,
  csat,
  onRated,
}: {
  /** `POST` target: the conversation's `/csat`. */
  url: string;
  /** The chat's conversation token; the email link's page has none (its URL is signed). */
  accessToken?: string;
  csat: CsatView;
  onRated(csat: CsatView): void;
}) {
  const { t } = useCustomerText();
  const [rating, setRating] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (csat.state === 'rated')
    return (
      <p className="csat csat-thanks" role="status">
        {t('csat.thanks', { rating: csat.rating })}
      </p>
    );
  if (csat.state !== 'open') return null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (rating === null || sending) return;
    setSending(true);
    setError(null);
    try {
      const trimmed = comment.trim();
      const rated = await requestJson<CsatView>(url, {
        method: 'POST',
        ...(accessToken ? { headers: { authorization: `Bearer ${accessToken}` } } : {}),
        body: { rating, ...(trimmed ? { comment: trimmed } : {}) },
        credentials: 'omit',
      });
      onRated(rated);
    } catch (caught) {
      setError(caught instanceof ApiRequestError ? caught.message : t('csat.failed'));
    } finally {
      setSending(false);
    }
  };

  return (
    <form className="csat" onSubmit={submit}>
      {/* Native radios: one Tab stop for the scale, arrow keys move within it. */}
      <fieldset className="csat-scale">
        <legend className="csat-question">{t('csat.question')}</legend>
        {values.map((value) => {
          const label = t(`csat.labels.${value}`);
          return (
            <label key={value} className={rating === value ? 'csat-option selected' : 'csat-option'}>
              <input
                type="radio"
                name="csat-rating"
                value={value}
                checked={rating === value}
                onChange={() => setRating(value)}
              />
              <span aria-hidden="true">{value}</span>
              <span className="sr-only">{t('csat.option', { value, label })}</span>
            </label>
          );
        })}
      </fieldset>
      {rating !== null && (
        <>
          <label className="sr-only" htmlFor="csat-comment">
            {t('csat.comment')}
          </label>
          <textarea
            id="csat-comment"
            rows={2}
            maxLength={1000}
            placeholder={t('csat.comment')}
            value={comment}
            onChange={(event) => setComment(event.target.value)}
          />
          <button type="submit" className="primary" disabled={sending}>
            {sending ? t('csat.sending') : t('csat.send')}
          </button>
        </>
      )}
      {error && (
        <p className="csat-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
