import { useEffect, useState } from 'react';
import { ApiRequestError, requestJson } from '../shared/http.ts';
import type { CsatView } from './chat-types.ts';
import { CsatPrompt } from './csat-prompt.tsx';

/**
 * The page an emailed rating link opens (`/rate/<token>`): the signed token names one conversation
 * and allows only its rating. Nothing of the conversation is shown.
 */
export function RatingPage({ token }: { token: string }) {
  const url = `/api/csat/${encodeURIComponent(token)}`;
  const [csat, setCsat] = useState<CsatView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    requestJson<CsatView>(url)
      .then(setCsat)
      .catch((error: unknown) =>
        setProblem(error instanceof ApiRequestError ? error.message : 'The rating could not be loaded.'),
      );
  }, [url]);

  return (
    <main className="rating-page">
      <h1>Lumen Cloud support</h1>
      {problem && (
        <p className="banner banner-error" role="alert">
          {problem}
        </p>
      )}
      {!csat && !problem && <p className="page-status">Loading…</p>}
      {csat?.state === 'not_yet' && (
        <p>This conversation is still in progress: you can rate it once it is answered or resolved.</p>
      )}
      {csat && <CsatPrompt url={url} csat={csat} onRated={setCsat} />}
    </main>
  );
}
