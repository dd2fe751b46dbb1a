import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { RouteGroup } from '../context.ts';

/** Where `npm run build:ui` writes the web UI. */
export const defaultUiDirectory = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/** Paths the single-page app answers (it routes on the client). */
const pagePaths = ['/', '/console', '/console/*', '/admin', '/admin/*', '/rate/*'];

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard: UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1f2937">
<h1>The web UI is not built</h1>
<p>Run <code>npm run build:ui</code> (or restart with <code>npm start</code>, which builds it when it is missing), then reload.</p>
<p>The API is up: see <a href="/docs">/docs</a>.</p>
</body></html>`;

/**
 * Serves the built web UI from `directory`: the app's pages (index.html, never cached so a deploy
 * shows at once), `/widget.js` (cached briefly: its name has no hash) and `/assets/*` (hashed names,
 * cached for a year), each precompressed (brotli or gzip, as the client accepts). Without a build
 * every page is a 503 that says how to build it.
 */
export function createUiRoutes(directory: string = defaultUiDirectory): RouteGroup {
  return async (app) => {
    if (!existsSync(join(directory, 'index.html'))) {
      for (const path of pagePaths) {
        app.get(path, { schema: { hide: true } }, async (_request, reply) =>
          reply
            .code(503)
            .header('cache-control', 'no-store')
            .type('text/html; charset=utf-8')
            .send(notBuiltPage),
        );
      }
      app.get('/widget.js', { schema: { hide: true } }, async (_request, reply) =>
        reply
          .code(503)
          .header('cache-control', 'no-store')
          .type('text/javascript; charset=utf-8')
          .send(
            'console.error("Switchboard widget: the UI is not built on the server (npm run build:ui).");',
          ),
      );
      return;
    }

    await app.register(fastifyStatic, {
      root: join(directory, 'assets'),
      prefix: '/assets/',
      index: false,
      // Hashed file names: a changed file has a new name, so the old one can be cached for good.
      cacheControl: true,
      maxAge: '365d',
      immutable: true,
      // The build writes `.br` and `.gz` beside each text file (ui/vite.config.ts): a client that
      // accepts one gets it with `Content-Encoding`, and every answer says `Vary: Accept-Encoding`.
      // The same applies to `sendFile` below (index.html, widget.js).
      preCompressed: true,
      // The widget's loader imports its ES module chunks from a host page's origin: module scripts
      // are fetched with CORS. These files are public and hold no credentials.
      // (`setHeaders` runs for `sendFile` too: the pages and widget.js carry it as well, harmlessly.)
      setHeaders: (reply: FastifyReply) => {
        reply.header('access-control-allow-origin', '*');
      },
    });

    const sendUiFile = (reply: FastifyReply, file: string, cacheControl: string) =>
      reply.header('cache-control', cacheControl).sendFile(file, directory, { cacheControl: false });

    for (const path of pagePaths) {
      app.get(path, { schema: { hide: true } }, async (_request, reply) =>
        sendUiFile(reply, 'index.html', 'no-cache'),
      );
    }
    app.get('/widget.js', { schema: { hide: true } }, async (_request, reply) =>
      sendUiFile(reply, 'widget.js', 'public, max-age=300'),
    );
    app.get('/favicon.svg', { schema: { hide: true } }, async (_request, reply) =>
      sendUiFile(reply, 'favicon.svg', 'public, max-age=86400'),
    );
  };
}

/** The UI routes over `dist/ui`. */
export const uiRoutes: RouteGroup = createUiRoutes();
