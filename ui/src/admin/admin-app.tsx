import { usePathname } from '../shared/router.ts';
import { StaffHeader } from '../shared/staff-header.tsx';
import { StaffGate } from '../shared/staff-session.tsx';
import { AnalyticsPage } from './analytics-page.tsx';
import { ConnectorsPage } from './connectors-page.tsx';
import { CustomConnectorsPage } from './custom-connectors-page.tsx';
import { EvalsPage } from './evals-page.tsx';
import { GooglePage } from './google-page.tsx';
import { KnowledgePage } from './knowledge-page.tsx';
import { OutboxPage } from './outbox-page.tsx';
import { WebhooksPage } from './webhooks-page.tsx';

const links = [
  { href: '/admin', label: 'Connectors' },
  { href: '/admin/custom-connectors', label: 'Custom connectors' },
  { href: '/admin/google', label: 'Google Workspace' },
  { href: '/admin/knowledge', label: 'Knowledge' },
  { href: '/admin/evals', label: 'Evals' },
  { href: '/admin/analytics', label: 'Analytics' },
  { href: '/admin/outbox', label: 'Outbox' },
  { href: '/admin/webhooks', label: 'Webhooks' },
  { href: '/console', label: 'Console' },
];

/** `/admin`: connectors, knowledge, eval runs and the outbox, for admins (same login as the console). */
export function AdminApp() {
  const pathname = usePathname();
  const evalRun = pathname.match(/^\/admin\/evals\/([^/]+)$/);
  let page = <ConnectorsPage />;
  let current = '/admin';
  if (pathname.startsWith('/admin/custom-connectors')) {
    page = <CustomConnectorsPage />;
    current = '/admin/custom-connectors';
  } else if (pathname.startsWith('/admin/google')) {
    page = <GooglePage />;
    current = '/admin/google';
  } else if (pathname.startsWith('/admin/knowledge')) {
    page = <KnowledgePage />;
    current = '/admin/knowledge';
  } else if (pathname.startsWith('/admin/evals')) {
    page = <EvalsPage runId={evalRun ? decodeURIComponent(evalRun[1]!) : null} />;
    current = '/admin/evals';
  } else if (pathname.startsWith('/admin/analytics')) {
    page = <AnalyticsPage />;
    current = '/admin/analytics';
  } else if (pathname.startsWith('/admin/outbox')) {
    page = <OutboxPage />;
    current = '/admin/outbox';
  } else if (pathname.startsWith('/admin/webhooks')) {
    page = <WebhooksPage />;
    current = '/admin/webhooks';
  }
  return (
    <StaffGate title="Switchboard admin" requireAdmin>
      <StaffHeader links={links} current={current} />
      <main id="main" className="app-main">
        {page}
      </main>
    </StaffGate>
  );
}
