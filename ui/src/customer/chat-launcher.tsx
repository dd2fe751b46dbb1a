import { type KeyboardEvent, useCallback, useEffect, useRef, useState } from 'react';
import { ChatPanel } from './chat-panel.tsx';
import { useCustomerText } from './i18n.ts';

/**
 * Whether the chat is open, kept per tab (sessionStorage): a reload, or the next page of the host
 * site, shows the chat as the customer left it.
 */
export function useLauncherOpen(storageKey: string, initiallyOpen = false) {
  const [open, setOpenState] = useState<boolean>(() => {
    try {
      const stored = window.sessionStorage.getItem(storageKey);
      return stored === null ? initiallyOpen : stored === 'open';
    } catch {
      return initiallyOpen;
    }
  });
  const setOpen = useCallback(
    (next: boolean) => {
      setOpenState(next);
      try {
        window.sessionStorage.setItem(storageKey, next ? 'open' : 'closed');
      } catch {
        // Storage disabled: the state lasts as long as the page.
      }
    },
    [storageKey],
  );
  return [open, setOpen] as const;
}

interface ChatLauncherProps {
  apiBase: string;
  identityToken: string | null;
  open: boolean;
  onOpenChange(open: boolean): void;
  /** The launcher's element id (a skip link can point at it). */
  id?: string;
}

/**
 * The chat button and the chat it opens: a panel at the bottom right on a desktop (the page stays
 * usable beside it), the whole screen on a phone (≤ 600 px wide, within the safe-area insets), so the
 * transcript and the message box are visible without scrolling the page behind. Escape or the close
 * button closes it and the focus returns to the button. Used by the demo page and the widget alike.
 */
export function ChatLauncher({ apiBase, identityToken, open, onOpenChange, id }: ChatLauncherProps) {
  const { t, locale } = useCustomerText();
  const launcher = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const wasOpen = useRef(open);
  const close = () => onOpenChange(false);

  useEffect(() => {
    // Opening moves the focus into the chat (the message box takes it once the chat is ready); closing
    // puts it back on the button, where a keyboard user was before. Nothing moves on the first render.
    if (open && !wasOpen.current) dialog.current?.focus();
    if (!open && wasOpen.current) launcher.current?.focus();
    wasOpen.current = open;
  }, [open]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  };

  return (
    <div className="launcher-root" id={id} lang={locale} data-open={open ? 'true' : 'false'}>
      {open && (
        <div
          id="switchboard-chat-panel"
          className="chat-dialog"
          role="dialog"
          aria-label={t('launcher.dialog')}
          tabIndex={-1}
          ref={dialog}
          onKeyDown={onKeyDown}
        >
          <ChatPanel apiBase={apiBase} identityToken={identityToken} onClose={close} autoFocus />
        </div>
      )}
      <button
        type="button"
        className="chat-launcher widget-launcher"
        aria-expanded={open}
        aria-controls={open ? 'switchboard-chat-panel' : undefined}
        ref={launcher}
        onClick={() => onOpenChange(!open)}
      >
        <svg aria-hidden="true" className="chat-launcher-icon" viewBox="0 0 24 24" width="20" height="20">
          <path
            fill="currentColor"
            d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"
          />
        </svg>
        {open ? t('launcher.close') : t('launcher.open')}
      </button>
    </div>
  );
}
