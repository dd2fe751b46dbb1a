import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { DemoPage } from './customer/demo-page.tsx';
import { RatingPage } from './customer/rating-page.tsx';
import { usePathname } from './shared/router.ts';
import './shared/controls.css';
import './shared/styles.css';
import './customer/chat.css';

// The console and admin pages load only when visited: customers never download them.
const ConsoleApp = lazy(() =>
  import('./console/console-app.tsx').then((module) => ({ default: module.ConsoleApp })),
);
const AdminApp = lazy(() => import('./admin/admin-app.tsx').then((module) => ({ default: module.AdminApp })));

const isUnder = (pathname: string, prefix: string) =>
  pathname === prefix || pathname.startsWith(`${prefix}/`);

function App() {
  const pathname = usePathname();
  let page = <DemoPage />;
  if (isUnder(pathname, '/console')) page = <ConsoleApp />;
  else if (isUnder(pathname, '/admin')) page = <AdminApp />;
  else if (pathname.startsWith('/rate/'))
    page = <RatingPage token={decodeURIComponent(pathname.slice('/rate/'.length))} />;
  return <Suspense fallback={<p className="page-status">Loading…</p>}>{page}</Suspense>;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
