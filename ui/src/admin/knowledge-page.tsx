import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { formatDateTime } from '../shared/format.ts';
import { asList, errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

interface Article {
  slug: string;
  title: string;
  visibility: string | null;
  updatedAt: string | null;
  chunks: number | null;
}

interface SearchHit {
  slug: string;
  title: string;
  text: string;
  score: number | null;
  /** Per-method scores when the API reports them (vector, full text…). */
  scores: Record<string, number>;
}

function readArticle(value: unknown): Article {
  const row = (value ?? {}) as Record<string, unknown>;
  return {
    slug: String(row.slug ?? row.id ?? ''),
    title: String(row.title ?? row.slug ?? ''),
    visibility:
      (row.visibility as string | undefined) ??
      (row.internal === true ? 'internal' : row.internal === false ? 'public' : null),
    updatedAt: (row.updatedAt ?? row.updated_at ?? row.indexedAt ?? null) as string | null,
    chunks: typeof row.chunks === 'number' ? row.chunks : null,
  };
}

function readHit(value: unknown): SearchHit {
  const row = (value ?? {}) as Record<string, unknown>;
  const scores: Record<string, number> = {};
  for (const [key, score] of Object.entries(row)) {
    if (typeof score === 'number' && /score|similarity|rank/i.test(key) && key !== 'score')
      scores[key] = score;
  }
  return {
    slug: String(row.slug ?? row.articleSlug ?? ''),
    // Headings carry the article title already ("Title > Section").
    title: String(row.heading || row.title || row.slug || ''),
    text: String(row.text ?? row.content ?? row.snippet ?? ''),
    score: typeof row.score === 'number' ? row.score : null,
    scores: { ...scores, ...((row.scores as Record<string, number> | undefined) ?? {}) },
  };
}

/** Help-center articles: the list, ingesting a new one, and trying a search with its scores. */
export function KnowledgePage() {
  const { request } = useStaffSession();
  const [articles, setArticles] = useState<Article[]>([]);
  const [listError, setListError] = useState<string | null>(null);
  const [slug, setSlug] = useState('');
  const [markdown, setMarkdown] = useState('');
  const [ingestMessage, setIngestMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setArticles(asList(await request('/api/admin/knowledge/articles'), 'articles').map(readArticle));
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
        body: { slug: slug.trim(), content: markdown },
      });
      setIngestMessage({
        kind: 'ok',
        text: `Queued "${slug.trim()}" for indexing. It appears in the list once indexed.`,
      });
      setSlug('');
      setMarkdown('');
      window.setTimeout(() => void load(), 3000);
    } catch (failure) {
      setIngestMessage({ kind: 'error', text: errorMessage(failure) });
    }
  };

  const search = async (event: FormEvent) => {
    event.preventDefault();
    setSearchError(null);
    try {
      const data = await request(`/api/admin/knowledge/search?q=${encodeURIComponent(query.trim())}`);
      setHits(asList(data, 'results', 'hits', 'passages').map(readHit));
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
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {articles.map((article) => (
                  <tr key={article.slug}>
                    <td>
                      {article.title}
                      <div className="muted">{article.slug}</div>
                    </td>
                    <td>{article.visibility ?? '—'}</td>
                    <td>{formatDateTime(article.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        <div>
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
                    <strong>{hit.title}</strong> — score {hit.score === null ? '—' : hit.score.toFixed(3)}
                    {Object.keys(hit.scores).length > 0 && (
                      <span className="muted">
                        {' '}
                        (
                        {Object.entries(hit.scores)
                          .map(([name, value]) => `${name} ${value.toFixed(3)}`)
                          .join(', ')}
                        )
                      </span>
                    )}
                    <p className="muted">{hit.text.slice(0, 300)}</p>
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
              Markdown (with front matter: title, visibility)
              <textarea required value={markdown} onChange={(event) => setMarkdown(event.target.value)} />
            </label>
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
