import { mailAuthLabel } from './mail-auth.ts';

/** A received email's authentication verdict, beside its sender in the transcript. */
export function MailAuthBadge({ role, metadata }: { role: string; metadata: Record<string, unknown> }) {
  const label = mailAuthLabel(role, metadata);
  if (!label) return null;
  return (
    <>
      {' · '}
      <span className={`badge ${label.tone}`} title={label.detail || undefined}>
        {label.text}
      </span>
    </>
  );
}
