import { usePathname } from '../shared/router.ts';
import { StaffHeader } from '../shared/staff-header.tsx';
import { StaffGate } from '../shared/staff-session.tsx';
import { EscalationView } from './escalation-view.tsx';
import { InboxPage } from './inbox-page.tsx';
import { QueuePage } from './queue-page.tsx';

/** `/console`: the human agents' queue and conversation view, behind the console login. */
export function ConsoleApp() {
  const pathname = usePathname();
  const match = pathname.match(/^\/console\/escalations\/([^/]+)$/);
  // The inbox: `/console/inbox`, and `/console/inbox/<conversation id>` with a conversation open.
  const inbox = pathname.match(/^\/console\/inbox(?:\/([^/]+))?$/);
  return (
    <StaffGate title="Agent console">
      <StaffHeader
        links={[
          { href: '/console', label: 'Queue' },
          { href: '/console/inbox', label: 'Inbox' },
        ]}
        current={match ? '' : inbox ? '/console/inbox' : '/console'}
      />
      <main id="main" className="app-main">
        {match ? (
          <EscalationView escalationId={decodeURIComponent(match[1]!)} />
        ) : inbox ? (
          <InboxPage conversationId={inbox[1] ? decodeURIComponent(inbox[1]) : null} />
        ) : (
          <QueuePage />
        )}
      </main>
    </StaffGate>
  );
}
