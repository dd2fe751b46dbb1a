import { useEffect, useRef } from 'react';

/** The inbox's keyboard shortcuts, as the help overlay lists them (`?` opens it). */
export const inboxShortcuts = [
  { key: 'j', label: 'Next conversation' },
  { key: 'k', label: 'Previous conversation' },
  { key: '/', label: 'Search' },
  { key: 'a', label: 'Assign' },
  { key: 'c', label: 'Claim' },
  { key: 'r', label: 'Reply to the customer' },
  { key: 'n', label: 'Internal note' },
  { key: '?', label: 'Show or hide these shortcuts' },
  { key: 'Escape', label: 'Close this help, or leave a text field' },
] as const;

export type InboxKey = (typeof inboxShortcuts)[number]['key'];

/**
 * Whether a key press belongs to what has focus rather than to a shortcut: typing in a text field,
 * a select or anything editable, or a press with a modifier (the browser's and the screen reader's
 * own shortcuts) is never taken.
 */
export function isTypingTarget(
  event: Pick<KeyboardEvent, 'target' | 'ctrlKey' | 'metaKey' | 'altKey'>,
): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return true;
  const target = event.target as HTMLElement | null;
  if (!target || typeof target.closest !== 'function') return false;
  return Boolean(target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]'));
}

/** Calls `onKey` for an inbox shortcut pressed outside a text field. */
export function useInboxShortcuts(onKey: (key: InboxKey, event: KeyboardEvent) => void): void {
  const latest = useRef(onKey);
  latest.current = onKey;
  useEffect(() => {
    const listener = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        latest.current('Escape', event);
        return;
      }
      if (isTypingTarget(event)) return;
      const shortcut = inboxShortcuts.find((entry) => entry.key === event.key);
      if (!shortcut) return;
      event.preventDefault();
      latest.current(shortcut.key, event);
    };
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);
}
