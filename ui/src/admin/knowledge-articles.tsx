import { type ChangeEvent, type FormEvent, useCallback, useEffect, useState } from 'react';
import type { ArticleSummary } from '../../../api/contract/admin.ts';
import type {
  ArticleDetail,
  ArticleEditBody,
  ArticleWriteResponse,
  UploadBody,
  UsageResponse,
} from '../../../api/contract/knowledge-admin.ts';
import { MarkdownText } from '../customer/markdown-text.tsx';
import { formatDateTime } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

type Visibility = 'public' | 'internal';
type Notice = { kind: 'ok' | 'error'; text: string } | null;

/** The visibility choice: never preselected, so an article's audience is always a decision. */
export function VisibilitySelect({
  value,
  onChange,
  label = 'Visibility',
}: {
  value: Visibility | '';
  onChange: (value: Visibility | '') => void;
  label?: string;
}) {
  return (
    <label>
      {label}
      <select required value={value} onChange={(event) => onChange(event.target.value as Visibility | '')}>
        <option value="">Choose who may read it…</option>
        <option value="public">Public: customers and the agent</option>
        <option value="internal">Internal: staff only</option>
      </select>
    </label>
  );
}

/** The bytes of a chosen file as base64 (FileReader: the file never leaves the page otherwise). */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
}

/** Upload one file (Markdown, HTML, PDF) with its visibility chosen: indexed before the answer. */
function ArticleUpload({ onUploaded }: { onUploaded: (slug: string) => void }) {
  const { request } = useStaffSession();
  const [file, setFile] = useState<File | null>(null);
  const [visibility, setVisibility] = useState<Visibility | ''>('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);

  const upload = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!file || !visibility) return;
    setBusy(true);
    setNotice(null);
    try {
      const result = await request<ArticleWriteResponse>('/api/admin/knowledge/uploads', {
        method: 'POST',
        body: {
          fileName: file.name,
          contentBase64: await readBase64(file),
          visibility,
        } satisfies UploadBody,
      });
      setNotice({
        kind: 'ok',
        text: `Indexed "${result.article.title}" (${result.article.slug}, ${result.article.visibility}, ${result.article.chunks} passages).`,
      });
      (event.target as HTMLFormElement).reset();
      setFile(null);
      setVisibility('');
      onUploaded(result.article.slug);
    } catch (failure) {
      setNotice({ kind: 'error', text: errorMessage(failure) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card section stack" onSubmit={upload} aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload an article</h2>
      <label>
        File (.md, .html or .pdf)
        <input
          type="file"
          required
          accept=".md,.markdown,.html,.htm,.pdf,text/markdown,text/html,application/pdf"
          onChange={(event: ChangeEvent<HTMLInputElement>) => setFile(event.target.files?.[0] ?? null)}
        />
      </label>
      <VisibilitySelect value={visibility} onChange={setVisibility} />
      <div className="button-row">
        <button type="submit" className="primary" disabled={busy || !file || !visibility}>
          {busy ? 'Uploading…' : 'Upload'}
        </button>
      </div>
      {notice && (
        <p
          className={notice.kind === 'error' ? 'error' : 'muted'}
          role={notice.kind === 'error' ? 'alert' : 'status'}
        >
          {notice.text}
        </p>
      )}
    </form>
  );
}

/** The Markdown of an article without its front matter, for the preview. */
const withoutFrontMatter = (markdown: string) => markdown.replace(/^---\n[\s\S]*?\n---\n?/, '');

/** Edit one article in place: its Markdown (front matter included) beside a safe preview. */
function ArticleEditor({
  slug,
  onClose,
  onSaved,
}: {
  slug: string;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { request } = useStaffSession();
  const [article, setArticle] = useState<ArticleDetail | null>(null);
  const [markdown, setMarkdown] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);

  useEffect(() => {
    let live = true;
    request<ArticleDetail>(`/api/admin/knowledge/articles/${encodeURIComponent(slug)}`)
      .then((detail) => {
        if (!live) return;
        setArticle(detail);
        setMarkdown(detail.markdown);
      })
      .catch((failure) => live && setNotice({ kind: 'error', text: errorMessage(failure) }));
    return () => {
      live = false;
    };
  }, [request, slug]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setNotice(null);
    try {
      const result = await request<ArticleWriteResponse>(
        `/api/admin/knowledge/articles/${encodeURIComponent(slug)}`,
        { method: 'PUT', body: { markdown } satisfies ArticleEditBody },
      );
      setArticle(result.article);
      setMarkdown(result.article.markdown);
      setNotice({
        kind: 'ok',
        text: result.article.published
          ? `Saved and re-indexed (${result.article.chunks} passages).`
          : 'Saved. The article is unpublished: publish it to make it searchable.',
      });
      onSaved();
    } catch (failure) {
      setNotice({ kind: 'error', text: errorMessage(failure) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card section stack" aria-labelledby="editor-heading">
      <h2 id="editor-heading">Edit {article ? `"${article.title}"` : slug}</h2>
      <form className="stack" onSubmit={save}>
        <div className="columns">
          <label>
            Markdown (front matter: title, visibility, tags, category, url)
            <textarea
              className="article-markdown"
              rows={18}
              required
              value={markdown}
              onChange={(event) => setMarkdown(event.target.value)}
            />
          </label>
          <section aria-label="Preview">
            <strong>Preview</strong>
            <MarkdownText text={withoutFrontMatter(markdown)} linkBase={window.location.origin} />
          </section>
        </div>
        <div className="button-row">
          <button type="submit" className="primary" disabled={busy || !article}>
            {busy ? 'Saving…' : 'Save'}
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
        {notice && (
          <p
            className={notice.kind === 'error' ? 'error' : 'muted'}
            role={notice.kind === 'error' ? 'alert' : 'status'}
          >
            {notice.text}
          </p>
        )}
      </form>
    </section>
  );
}

/**
 * The articles with visibility, state and usage (answers citing them, low-confidence hand-offs they
 * were the best candidate of, last 30 days); edit, publish / unpublish and delete each, and upload.
 */
export function KnowledgeArticles({ articles, reload }: { articles: ArticleSummary[]; reload: () => void }) {
  const { request } = useStaffSession();
  const [usage, setUsage] = useState<Map<string, { cited: number; lowConfidence: number }>>(new Map());
  const [editing, setEditing] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);

  const loadUsage = useCallback(async () => {
    try {
      const data = await request<UsageResponse>('/api/admin/knowledge/usage?days=30');
      setUsage(new Map(data.articles.map((row) => [row.slug, row])));
    } catch (failure) {
      setNotice({ kind: 'error', text: errorMessage(failure) });
    }
  }, [request]);
  useEffect(() => {
    void loadUsage();
  }, [loadUsage]);

  const act = async (article: ArticleSummary, action: 'publish' | 'unpublish' | 'delete') => {
    const question = {
      publish: `Publish "${article.title}"? Customers${article.visibility === 'internal' ? ' (staff: it is internal)' : ''} and the agent will find it again.`,
      unpublish: `Unpublish "${article.title}"? It leaves search and the chat at once; you can still edit it.`,
      delete: `Delete "${article.title}" for good? Its text and passages are removed at once.`,
    }[action];
    if (!window.confirm(question)) return;
    setNotice(null);
    const path = `/api/admin/knowledge/articles/${encodeURIComponent(article.slug)}`;
    try {
      if (action === 'delete') await request(path, { method: 'DELETE' });
      else await request(`${path}/${action}`, { method: 'POST' });
      setNotice({
        kind: 'ok',
        text: `${{ publish: 'Published', unpublish: 'Unpublished', delete: 'Deleted' }[action]} "${article.title}".`,
      });
      if (action === 'delete' && editing === article.slug) setEditing(null);
      reload();
    } catch (failure) {
      setNotice({ kind: 'error', text: errorMessage(failure) });
    }
  };

  return (
    <>
      <ArticleUpload
        onUploaded={() => {
          reload();
          void loadUsage();
        }}
      />
      {editing && (
        <ArticleEditor key={editing} slug={editing} onClose={() => setEditing(null)} onSaved={reload} />
      )}
      {notice && (
        <p
          className={notice.kind === 'error' ? 'error' : 'muted'}
          role={notice.kind === 'error' ? 'alert' : 'status'}
        >
          {notice.text}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Visibility</th>
              <th scope="col">State</th>
              <th scope="col">
                <abbr title="Answers citing it, last 30 days">Cited</abbr>
              </th>
              <th scope="col">
                <abbr title="Low-confidence hand-offs it was the best match of, last 30 days">Weak</abbr>
              </th>
              <th scope="col">Updated</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {articles.map((article) => {
              const used = usage.get(article.slug);
              return (
                <tr key={article.slug} data-slug={article.slug}>
                  <td>
                    {article.title}
                    <div className="muted">{article.slug}</div>
                  </td>
                  <td>{article.visibility}</td>
                  <td>{article.published ? 'published' : <span className="badge">unpublished</span>}</td>
                  <td>{used?.cited ?? 0}</td>
                  <td>{used?.lowConfidence ?? 0}</td>
                  <td>{formatDateTime(article.updatedAt)}</td>
                  <td>
                    <div className="button-row">
                      <button type="button" onClick={() => setEditing(article.slug)}>
                        Edit<span className="sr-only"> {article.title}</span>
                      </button>
                      <button
                        type="button"
                        onClick={() => void act(article, article.published ? 'unpublish' : 'publish')}
                      >
                        {article.published ? 'Unpublish' : 'Publish'}
                        <span className="sr-only"> {article.title}</span>
                      </button>
                      <button type="button" className="danger" onClick={() => void act(article, 'delete')}>
                        Delete<span className="sr-only"> {article.title}</span>
                      </button>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
