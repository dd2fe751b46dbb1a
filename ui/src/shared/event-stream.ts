import { useEffect, useRef, useState } from 'react';

/** Where a live connection stands, for a visible "reconnecting…" note. */
export type StreamState = 'connecting' | 'open' | 'reconnecting';

/** One server-sent event: its type (`message` when unnamed), parsed JSON data, and id. */
export interface StreamEvent {
  type: string;
  data: unknown;
  id: string;
}

interface Options {
  /** Named event types to listen to besides the default `message`. */
  types: string[];
  onEvent(event: StreamEvent): void;
  /** Called after the connection came back (not on the first open): refetch to fill gaps. */
  onReconnect?(): void;
}

/**
 * Subscribes to server-sent events at `url` (null: not yet). The browser reconnects on its own and
 * sends `Last-Event-ID`; when it gives up (the server answered an error), we open a new
 * connection with `after=<last id>` after a growing delay, so nothing that happened meanwhile is lost.
 */
export function useEventStream(url: string | null, options: Options): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const latest = useRef(options);
  latest.current = options;
  const typesKey = options.types.join(',');

  useEffect(() => {
    if (!url) return;
    let source: EventSource | null = null;
    let lastId = '';
    let everOpened = false;
    let retryTimer: number | undefined;
    let attempt = 0;
    let stopped = false;

    const handle = (event: MessageEvent) => {
      if (event.lastEventId) lastId = event.lastEventId;
      let data: unknown = event.data;
      try {
        data = JSON.parse(event.data);
      } catch {
        // Plain-text events (keep-alives) pass through as strings.
      }
      latest.current.onEvent({ type: event.type, data, id: event.lastEventId });
    };

    const connect = () => {
      const target = lastId
        ? `${url}${url.includes('?') ? '&' : '?'}after=${encodeURIComponent(lastId)}`
        : url;
      source = new EventSource(target);
      source.onmessage = handle;
      for (const type of typesKey.split(',').filter((name) => name && name !== 'message')) {
        source.addEventListener(type, handle as EventListener);
      }
      source.onopen = () => {
        attempt = 0;
        setState('open');
        if (everOpened) latest.current.onReconnect?.();
        everOpened = true;
      };
      source.onerror = () => {
        if (stopped) return;
        setState('reconnecting');
        if (source?.readyState === EventSource.CLOSED) {
          // The browser stopped retrying (an HTTP error): try again ourselves, backing off to 30 s.
          source.close();
          attempt += 1;
          retryTimer = window.setTimeout(connect, Math.min(30_000, 1000 * 2 ** attempt));
        }
      };
    };

    setState('connecting');
    connect();
    const reconnectWhenOnline = () => {
      if (source?.readyState === EventSource.CLOSED) {
        window.clearTimeout(retryTimer);
        connect();
      }
    };
    window.addEventListener('online', reconnectWhenOnline);
    return () => {
      stopped = true;
      window.clearTimeout(retryTimer);
      window.removeEventListener('online', reconnectWhenOnline);
      source?.close();
    };
  }, [url, typesKey]);

  return state;
}
