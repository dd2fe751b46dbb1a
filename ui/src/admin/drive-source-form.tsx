import { type FormEvent, useState } from 'react';
import type { DriveSourceSettings, KnowledgeSource } from '../../../api/contract/knowledge-sources.ts';
import { errorMessage } from '../shared/http.ts';
import { useStaffSession } from '../shared/staff-session.tsx';

/**
 * The Google Drive source's settings: the folder, the company domain, and what visibility a file
 * shared with that domain (but not with anyone) gets. Files shared with anyone are public; files
 * shared only with named people are not indexed (docs/knowledge.md, "Google Drive").
 */
export function DriveSourceForm({ source, onSaved }: { source: KnowledgeSource; onSaved: () => void }) {
  const { request } = useStaffSession();
  const stored = source.drive ?? null;
  const [folderId, setFolderId] = useState(stored?.folderId ?? '');
  const [domain, setDomain] = useState(stored?.domain ?? '');
  const [domainVisibility, setDomainVisibility] = useState<'public' | 'internal'>(
    stored?.domainVisibility ?? 'internal',
  );
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    const body: DriveSourceSettings = {
      folderId: folderId.trim(),
      domain: domain.trim() || null,
      domainVisibility,
      docsExport: stored?.docsExport ?? 'html',
      intervalMinutes: stored?.intervalMinutes ?? 60,
    };
    try {
      await request('/api/admin/knowledge/sources/google-drive/settings', { method: 'PUT', body });
      setMessage({ kind: 'ok', text: 'Saved. The next sync reads this folder.' });
      onSaved();
    } catch (failure) {
      setMessage({ kind: 'error', text: errorMessage(failure) });
    }
  };

  return (
    <form className="stack" onSubmit={(event) => void save(event)} aria-label="Google Drive settings">
      <label>
        Folder id
        <input
          required
          value={folderId}
          onChange={(event) => setFolderId(event.target.value)}
          placeholder="the part of the folder URL after /folders/"
        />
      </label>
      <label>
        Company domain
        <input value={domain} onChange={(event) => setDomain(event.target.value)} placeholder="acme.com" />
      </label>
      <label>
        Files shared with the company domain are
        <select
          value={domainVisibility}
          onChange={(event) => setDomainVisibility(event.target.value as 'public' | 'internal')}
        >
          <option value="internal">Internal: staff only</option>
          <option value="public">Public: customers and the agent</option>
        </select>
      </label>
      <div className="button-row">
        <button type="submit">Save Drive settings</button>
      </div>
      {message && (
        <p
          className={message.kind === 'ok' ? 'muted' : 'error'}
          role={message.kind === 'ok' ? 'status' : 'alert'}
        >
          {message.text}
        </p>
      )}
    </form>
  );
}
