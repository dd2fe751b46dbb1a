import { useEffect, useState } from 'react';

const navigationEvent = 'switchboard:navigate';

/** Moves to another in-app path without a page load. */
export function navigate(path: string): void {
  if (path === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(navigationEvent));
  // Keyboard and screen-reader users land at the top of the new view.
  window.scrollTo(0, 0);
}

/** The current pathname, updated on back/forward and on `navigate()`. */
export function usePathname(): string {
  const [pathname, setPathname] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPathname(window.location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(navigationEvent, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(navigationEvent, update);
    };
  }, []);
  return pathname;
}

/** An in-app link: a real `<a href>` (open in new tab works) that navigates without reloading. */
export function linkHandler(path: string) {
  return (event: {
    preventDefault(): void;
    metaKey: boolean;
    ctrlKey: boolean;
    shiftKey: boolean;
    button: number;
  }) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(path);
  };
}
