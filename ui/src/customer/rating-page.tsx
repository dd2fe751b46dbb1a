import { useEffect, useState } from 'react';
import { ApiRequestError, requestJson } from '../shared/http.ts';
import type { CsatView } from './chat-types.ts';
import { CsatPrompt } from './csat-prompt.tsx';
import { useCustomerText } from './i18n.ts';

/**
 * The page an emailed rating link opens (`/rate/<token>`): the signed token names one conversation
 * and allows only its rating. Nothing of the conversation is shown.
 */
export function RatingPage({ token }: { token: string }) {
  const { t, locale } = useCustomerText();
  const url = `/api/csat/${encodeURIComponent(token)}`;
  const [csat, setCsat] = useState<CsatView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    requestJson<CsatView>(url)
      .then(setCsat)
      .catch((error: unknown) =>
        setProblem(error instanceof ApiRequestError ? error.message : t('rating.loadFailed')),
      );
  }, [url, t]);

  return (
    <main className="rating-page" lang={locale}>
      <h1>{t('rating.heading')}</h1>
      {problem && (
        <p className="banner banner-error" role="alert">
          {problem}
        </p>
      )}
      {!csat && !problem && <p className="page-status">{t('rating.loading')}</p>}
      {csat?.state === 'not_yet' && <p>{t('rating.notYet')}</p>}
      {csat && <CsatPrompt url={url} csat={csat} onRated={setCsat} />}
    </main>
  );
}
