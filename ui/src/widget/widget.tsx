import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import chatStyles from '../customer/chat.css?inline';
import { ChatPanel } from '../customer/chat-panel.tsx';
import controlStyles from '../shared/controls.css?inline';
import baseStyles from './widget-base.css?inline';

/**
 * The embeddable widget: `<script src="https://support.example.com/widget.js" data-identity-token="…">`.
 * It adds a chat button and panel in a shadow root (the host page's CSS cannot reach in, ours
 * cannot leak out) and talks to the API at the script's own origin.
 */
const script = document.currentScript as HTMLScriptElement | null;
const apiBase = script ? new URL(script.src, window.location.href).origin : window.location.origin;
const identityToken = script?.dataset.identityToken || null;

function Widget() {
  const [open, setOpen] = useState(false);
  const launcher = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const close = () => {
    setOpen(false);
    // Keyboard users land where they were before the panel opened.
    launcher.current?.focus();
  };
  // Opening moves focus into the panel (the composer takes it once the chat is ready).
  useEffect(() => {
    if (open) panel.current?.focus();
  }, [open]);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  };
  return (
    <div className="widget">
      {open && (
        <div
          id="switchboard-chat-panel"
          className="widget-panel"
          role="dialog"
          aria-label="Support chat"
          tabIndex={-1}
          ref={panel}
          onKeyDown={onKeyDown}
        >
          <ChatPanel apiBase={apiBase} identityToken={identityToken} onClose={close} autoFocus />
        </div>
      )}
      <button
        type="button"
        className="widget-launcher"
        aria-expanded={open}
        aria-controls={open ? 'switchboard-chat-panel' : undefined}
        ref={launcher}
        onClick={() => (open ? close() : setOpen(true))}
      >
        {open ? 'Close support chat' : 'Chat with support'}
      </button>
    </div>
  );
}

function mount() {
  const host = document.createElement('div');
  host.id = 'switchboard-widget';
  document.body.appendChild(host);
  const shadow = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = `${controlStyles}\n${chatStyles}\n${baseStyles}`;
  shadow.appendChild(style);
  const container = document.createElement('div');
  shadow.appendChild(container);
  createRoot(container).render(<Widget />);
}

if (document.body) mount();
else document.addEventListener('DOMContentLoaded', mount);
