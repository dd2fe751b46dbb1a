import { usePathname } from '../shared/router.ts';
import { StaffHeader } from '../shared/staff-header.tsx';
import { StaffGate } from '../shared/staff-session.tsx';
import { EscalationView } from './escalation-view.tsx';
import { QueuePage } from './queue-page.tsx';

/** `/console`: the human agents' queue and conversation view, behind the console login. */
export function ConsoleApp() {
  const pathname = usePathname();
  const match = pathname.match(/^\/console\/escalations\/([^/]+)$/);
  return (
    <StaffGate title="Agent console">
      <StaffHeader links={[{ href: '/console', label: 'Queue' }]} current={match ? '' : '/console'} />
      <main id="main" className="app-main">
        {match ? <EscalationView escalationId={decodeURIComponent(match[1]!)} /> : <QueuePage />}
      </main>
    </StaffGate>
  );
}
