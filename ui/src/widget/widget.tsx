import { useState } from 'react';
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
  return (
    <div className="widget">
      {open && (
        <div className="widget-panel" role="dialog" aria-label="Support chat">
          <ChatPanel apiBase={apiBase} identityToken={identityToken} onClose={() => setOpen(false)} />
        </div>
      )}
      <button
        type="button"
        className="widget-launcher"
        aria-expanded={open}
        onClick={() => setOpen((value) => !value)}
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
