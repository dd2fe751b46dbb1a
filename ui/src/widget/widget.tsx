import { createRoot } from 'react-dom/client';
import chatStyles from '../customer/chat.css?inline';
import { ChatLauncher, useLauncherOpen } from '../customer/chat-launcher.tsx';
import controlStyles from '../shared/controls.css?inline';
import baseStyles from './widget-base.css?inline';

/**
 * The embeddable widget: `<script src="https://support.example.com/widget.js" data-identity-token="…">`.
 * It adds the chat launcher (a panel on a desktop, the full screen on a phone) in a shadow root (the
 * host page's CSS cannot reach in, ours cannot leak out) and talks to the API at the script's own origin.
 * `widget.js` is a small classic-script loader (ui/vite.config.ts) that imports this module and hands
 * it the script's origin and identity token: a module has no `document.currentScript`.
 */
declare global {
  interface Window {
    __switchboardWidget?: { apiBase?: unknown; identityToken?: unknown };
  }
}
const handed = window.__switchboardWidget ?? {};
const apiBase = typeof handed.apiBase === 'string' ? handed.apiBase : window.location.origin;
const identityToken =
  typeof handed.identityToken === 'string' && handed.identityToken ? handed.identityToken : null;

function Widget() {
  const [open, setOpen] = useLauncherOpen(`switchboard.widget-open:${apiBase}`);
  return (
    <div className="widget">
      <ChatLauncher apiBase={apiBase} identityToken={identityToken} open={open} onOpenChange={setOpen} />
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

// Mounted once, however often the loader runs (a page that includes the script twice).
if (!document.getElementById('switchboard-widget')) {
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
}
