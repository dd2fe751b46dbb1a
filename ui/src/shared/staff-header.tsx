import { linkHandler } from './router.ts';
import { useStaffSession } from './staff-session.tsx';

/** The console/admin header: where you are, who is signed in, sign out. */
export function StaffHeader({
  links,
  current,
}: {
  links: Array<{ href: string; label: string }>;
  current: string;
}) {
  const { me, logout } = useStaffSession();
  const allLinks = [
    ...links,
    ...(me.role === 'admin' && !links.some((link) => link.href.startsWith('/admin'))
      ? [{ href: '/admin', label: 'Admin' }]
      : []),
  ];
  return (
    <header className="site-header">
      <span className="brand">Switchboard</span>
      <nav aria-label="Main">
        {allLinks.map((link) => (
          <a
            key={link.href}
            href={link.href}
            onClick={linkHandler(link.href)}
            aria-current={current === link.href ? 'page' : undefined}
          >
            {link.label}
          </a>
        ))}
      </nav>
      <div className="button-row">
        <span className="muted">
          {me.name} ({me.role})
        </span>
        <button type="button" onClick={() => void logout()}>
          Sign out
        </button>
      </div>
    </header>
  );
}
