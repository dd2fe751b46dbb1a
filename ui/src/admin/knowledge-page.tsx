import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type {
  ArticleListResponse,
  ArticleSummary,
  IngestBody,
  KnowledgeSearchResponse,
  SearchHit,
} from '../../../api/contract/admin.ts';
import type {
  KnowledgeSource,
  KnowledgeSourceListResponse,
} from '../../../api/contract/knowledge-sources.ts';
import { formatDateTime } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';
import { DriveSourceForm } from './drive-source-form.tsx';
import { KnowledgeArticles, VisibilitySelect } from './knowledge-articles.tsx';

/** The per-method scores a hit reports (vector, full text), besides the fused score. */
function methodScores(hit: SearchHit): Array<[string, number]> {
  const scores: Array<[string, number | null]> = [
    ['vectorScore', hit.vectorScore],
    ['textScore', hit.textScore],
  ];
  return scores.filter((entry): entry is [string, number] => entry[1] !== null);
}

/** One line per outcome of a source's last sync. */
function syncSummary(source: KnowledgeSource): string {
  if (!source.lastFinishedAt) return 'Never synced.';
  const when = formatDateTime(source.lastFinishedAt);
  if (source.lastStatus === 'failed') return `Last sync failed (${when}).`;
  const report = source.lastReport;
  if (!report) return `Last sync ${when}.`;
  return `Last sync ${when}: ${report.created} created, ${report.updated} updated, ${report.deleted} deleted, ${report.unchanged} unchanged${report.skipped ? `, ${report.skipped} skipped${source.id === 'google-drive' ? '' : ' (drafts, other locales)'}` : ''}${report.complete ? '' : ' — more to read on the next run'}.`;
}

/** The external sources (Zendesk Guide): settings, last sync and a button to sync now. */
function KnowledgeSources({ onSynced }: { onSynced: () => void }) {
  const { request } = useStaffSession();
  const [sources, setSources] = useState<KnowledgeSource[]>([]);
  const [error, setError] = useState<string | null>(null);
  /** The source a requested sync runs for, and its last outcome's time before the request. */
  const [waiting, setWaiting] = useState<{ id: string; since: string | null } | null>(null);

  const load = useCallback(async () => {
    try {
      const data = await request<KnowledgeSourceListResponse>('/api/admin/knowledge/sources');
      setSources(data.sources);
      setError(null);
      return data.sources;
    } catch (failure) {
      setError(errorMessage(failure));
      return null;
    }
  }, [request]);
  useEffect(() => {
    void load();
  }, [load]);

  // While a requested sync runs, poll until its outcome is recorded.
  useEffect(() => {
    if (!waiting) return;
    const timer = window.setInterval(async () => {
      const current = (await load())?.find((source) => source.id === waiting.id);
      if (current && !current.running && current.lastFinishedAt !== waiting.since) {
        setWaiting(null);
        onSynced();
      }
    }, 1500);
    return () => window.clearInterval(timer);
  }, [waiting, load, onSynced]);

  const syncNow = async (source: KnowledgeSource) => {
    setError(null);
    try {
      await request(`/api/admin/knowledge/sources/${source.id}/sync`, { method: 'POST' });
      setWaiting({ id: source.id, since: source.lastFinishedAt });
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  return (
    <section className="card section stack" aria-labelledby="sources-heading">
      <h2 id="sources-heading">Sources</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {sources.map((source) => (
        <section key={source.id} className="stack" aria-label={source.name}>
          <strong>{source.name}</strong>
          {source.configured ? (
            <span className="muted">
              {source.host}
              {source.locale ? ` (${source.locale})` : ''}, every {source.intervalMinutes} min,{' '}
              {source.articles} {source.articles === 1 ? 'article' : 'articles'} indexed
            </span>
          ) : source.id === 'google-drive' ? (
            <span className="muted">
              Not set up: choose the folder below (Google must be connected with Drive).
            </span>
          ) : (
            <span className="muted">Not configured: set ZENDESK_GUIDE_SUBDOMAIN and its credentials.</span>
          )}
          {source.id === 'google-drive' && <DriveSourceForm source={source} onSaved={() => void load()} />}
          <p className="muted" role="status">
            {waiting?.id === source.id || source.running ? 'Syncing…' : syncSummary(source)}
          </p>
          {source.lastStatus === 'failed' && source.lastError && (
            <p className="error" role="alert">
              {source.lastError}
            </p>
          )}
          {source.lastReport && source.lastReport.errors.length > 0 && (
            <ul className="plain-list">
              {source.lastReport.errors.slice(0, 10).map((item, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: errors of one run, in order
                <li key={index} className="error">
                  {item.articleId ? `Article ${item.articleId}: ` : ''}
                  {item.message}
                </li>
              ))}
            </ul>
          )}
          {source.lastReport?.skippedFiles && source.lastReport.skippedFiles.length > 0 && (
            <ul className="plain-list">
              {source.lastReport.skippedFiles.slice(0, 10).map((item, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: skipped files of one run, in order
                <li key={index} className="muted">
                  Skipped {item.name}: {item.reason}
                </li>
              ))}
            </ul>
          )}
          <div className="button-row">
            <button
              type="button"
              className="primary"
              disabled={!source.configured || waiting !== null || source.running}
              onClick={() => void syncNow(source)}
            >
              {/* Each source's button is named apart, so "Sync now" stays the help center's; the
                  name is the visible text (an aria-label that differs from it fails WCAG 2.5.3). */}
              {source.id === 'google-drive' ? 'Sync Google Drive now' : 'Sync now'}
            </button>
          </div>
        </section>
      ))}
    </section>
  );
}

/** Help-center articles: the list, ingesting a new one, and trying a search with its scores. */
export function KnowledgePage() {
  const { request } = useStaffSession();
  const [articles, setArticles] = useState<ArticleSummary[]>([]);
  const [listError, setListError] = useState<string | null>(null);
  const [slug, setSlug] = useState('');
  const [markdown, setMarkdown] = useState('');
  const [pasteVisibility, setPasteVisibility] = useState<'public' | 'internal' | ''>('');
  const [ingestMessage, setIngestMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setArticles((await request<ArticleListResponse>('/api/admin/knowledge/articles')).articles);
      setListError(null);
    } catch (failure) {
      setListError(errorMessage(failure));
    }
  }, [request]);
  useEffect(() => {
    void load();
  }, [load]);

  const ingest = async (event: FormEvent) => {
    event.preventDefault();
    setIngestMessage(null);
    try {
      await request('/api/admin/knowledge/articles', {
        method: 'POST',
        body: {
          slug: slug.trim(),
          content: markdown,
          ...(pasteVisibility ? { visibility: pasteVisibility } : {}),
        } satisfies IngestBody,
      });
      setIngestMessage({
        kind: 'ok',
        text: `Queued "${slug.trim()}" for indexing. It appears in the list once indexed.`,
      });
      setSlug('');
      setMarkdown('');
      setPasteVisibility('');
      window.setTimeout(() => void load(), 3000);
    } catch (failure) {
      setIngestMessage({ kind: 'error', text: errorMessage(failure) });
    }
  };

  const search = async (event: FormEvent) => {
    event.preventDefault();
    setSearchError(null);
    try {
      const data = await request<KnowledgeSearchResponse>(
        `/api/admin/knowledge/search?q=${encodeURIComponent(query.trim())}`,
      );
      setHits(data.results);
    } catch (failure) {
      setSearchError(errorMessage(failure));
    }
  };

  return (
    <>
      <h1>Knowledge</h1>
      <div className="columns">
        <section className="section" aria-labelledby="articles-heading">
          <h2 id="articles-heading">Articles ({articles.length})</h2>
          {listError && (
            <p className="banner banner-error" role="alert">
              {listError}
            </p>
          )}
          <KnowledgeArticles articles={articles} reload={() => void load()} />
        </section>
        <div>
          <KnowledgeSources onSynced={() => void load()} />
          <form className="card section stack" onSubmit={search}>
            <h2>Try a search</h2>
            <label>
              Question
              <input
                type="search"
                required
                value={query}
                onChange={(event) => setQuery(event.target.value)}
              />
            </label>
            <div className="button-row">
              <button type="submit" className="primary">
                Search
              </button>
            </div>
            {searchError && (
              <p className="error" role="alert">
                {searchError}
              </p>
            )}
            {hits && (
              <ol aria-live="polite" className="plain-list">
                {hits.length === 0 && <li className="muted">No passages found.</li>}
                {hits.map((hit, index) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: results are ranked, several per article
                  <li key={index}>
                    {/* Headings carry the article title already ("Title > Section"). */}
                    <strong>{hit.heading || hit.title || hit.slug}</strong> — score {hit.score.toFixed(3)}
                    {methodScores(hit).length > 0 && (
                      <span className="muted">
                        {' '}
                        (
                        {methodScores(hit)
                          .map(([name, value]) => `${name} ${value.toFixed(3)}`)
                          .join(', ')}
                        )
                      </span>
                    )}
                    <p className="muted">{hit.snippet.slice(0, 300)}</p>
                  </li>
                ))}
              </ol>
            )}
          </form>
          <form className="card section stack ingest" onSubmit={ingest}>
            <h2>Ingest an article</h2>
            <label>
              Slug
              <input
                required
                pattern="[a-z0-9][a-z0-9-]*"
                value={slug}
                onChange={(event) => setSlug(event.target.value)}
              />
            </label>
            <label>
              Markdown (front matter may set title and visibility)
              <textarea required value={markdown} onChange={(event) => setMarkdown(event.target.value)} />
            </label>
            <VisibilitySelect
              label="Visibility (unless the front matter sets it)"
              value={pasteVisibility}
              onChange={setPasteVisibility}
            />
            <div className="button-row">
              <button type="submit" className="primary">
                Ingest
              </button>
            </div>
            {ingestMessage && (
              <p
                className={ingestMessage.kind === 'error' ? 'error' : 'muted'}
                role={ingestMessage.kind === 'error' ? 'alert' : 'status'}
              >
                {ingestMessage.text}
              </p>
            )}
          </form>
        </div>
      </div>
    </>
  );
}
