import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp, ApiContext } from '../context.ts';
import { createUiRoutes } from './ui.ts';

/**
 * The UI route over a built directory laid out as `npm run build:ui` writes it: each text file with
 * its `.br` and `.gz` beside it (ui/vite.config.ts `precompress`).
 */
describe('the UI static route serves precompressed files', () => {
  let directory: string;
  let app: FastifyInstance;
  const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;
  const page = '<!doctype html><title>Lumen</title><div id="root"></div>';
  const widget = `(()=>{${'/* widget */'.repeat(300)}})();`;

  const withCompressed = (path: string, content: string) => {
    writeFileSync(path, content);
    writeFileSync(`${path}.gz`, gzipSync(content));
    writeFileSync(`${path}.br`, brotliCompressSync(content));
  };

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sb-ui-'));
    mkdirSync(join(directory, 'assets'));
    withCompressed(join(directory, 'index.html'), page);
    withCompressed(join(directory, 'widget.js'), widget);
    withCompressed(join(directory, 'assets/index-abc123.js'), script);
    // A small file the build leaves uncompressed.
    writeFileSync(join(directory, 'assets/tiny-def456.js'), 'export{};');
    app = Fastify();
    await createUiRoutes(directory)(app as unknown as ApiApp, {} as ApiContext);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('sends brotli to a client that accepts it, with the original type and Vary', async () => {
    const response = await app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe('br');
    expect(response.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(String(response.headers.vary)).toMatch(/accept-encoding/i);
    expect(response.headers['cache-control']).toMatch(/immutable/);
    // The widget's loader imports these modules from the host page's origin (a CORS fetch).
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(brotliDecompressSync(response.rawPayload).toString()).toBe(script);
  });

  it('sends gzip to a client that accepts only gzip', async () => {
    const response = await app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(response.rawPayload).toString()).toBe(script);
  });

  it('sends the plain file to a client that accepts no compression, still saying Vary', async () => {
    const response = await app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'identity' },
    });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(String(response.headers.vary)).toMatch(/accept-encoding/i);
    expect(response.body).toBe(script);
  });

  it('falls back to the plain file when no compressed copy exists', async () => {
    const response = await app.inject({
      url: '/assets/tiny-def456.js',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.body).toBe('export{};');
  });

  it('compresses the pages and the widget too, keeping their cache rules', async () => {
    const index = await app.inject({ url: '/console/inbox', headers: { 'accept-encoding': 'br' } });
    expect(index.headers['content-encoding']).toBe('br');
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(brotliDecompressSync(index.rawPayload).toString()).toBe(page);
    const script_ = await app.inject({ url: '/widget.js', headers: { 'accept-encoding': 'gzip' } });
    expect(script_.headers['content-encoding']).toBe('gzip');
    expect(script_.headers['cache-control']).toBe('public, max-age=300');
    expect(gunzipSync(script_.rawPayload).toString()).toBe(widget);
  });

  it('answers 404 for a file that is not there, compressed or not', async () => {
    const response = await app.inject({
      url: '/assets/missing-000.js',
      headers: { 'accept-encoding': 'br' },
    });
    expect(response.statusCode).toBe(404);
  });
});
