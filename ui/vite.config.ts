import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const uiRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/ui', import.meta.url));

/**
 * The embeddable widget: a host page loads `/widget.js` with a plain `<script src>` (a classic script,
 * so it must keep its name and cannot be an ES module itself). It is a few hundred bytes that import
 * the widget's ES module entry (`assets/widget-app-<hash>.js`), which shares React and the chat's
 * chunks with the app: split, cached for a year under hashed names, and loaded only once per visitor
 * for both. The loader hands the module the script's identity token and origin (the API's).
 */
function widgetLoader(): Plugin {
  return {
    name: 'switchboard-widget-loader',
    apply: 'build',
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find(
        (file) => file.type === 'chunk' && file.isEntry && file.name === 'widget-app',
      );
      if (!entry) throw new Error('The widget entry (src/widget/widget.tsx) was not built');
      this.emitFile({ type: 'asset', fileName: 'widget.js', source: widgetLoaderSource(entry.fileName) });
    },
    // Last, once every file is written.
    closeBundle() {
      precompress(outDir);
    },
  };
}

export function widgetLoaderSource(entryFile: string): string {
  return `/* Switchboard chat widget loader: the chat itself is ${entryFile}. */
(function () {
  var script = document.currentScript;
  var src = script && script.src ? script.src : location.href;
  window.__switchboardWidget = {
    apiBase: new URL(src, location.href).origin,
    identityToken: (script && script.dataset.identityToken) || null
  };
  import(new URL(${JSON.stringify(entryFile)}, new URL(src, location.href)).href).catch(function (error) {
    console.error("Switchboard widget: the chat could not be loaded.", error);
  });
})();
`;
}

/** Text files worth compressing; smaller ones cost more in headers than they save. */
const compressible = /\.(?:js|css|html|svg|json|txt|map)$/;
const minimumBytes = 1024;

/**
 * Writes `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip -9) beside every compressible file of
 * `directory`: the UI route serves them with `Content-Encoding` to clients that accept them
 * (api/routes/ui.ts), at no CPU cost per request and smaller than on-the-fly compression would be.
 */
export function precompress(directory: string): void {
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) {
      precompress(path);
      continue;
    }
    if (!compressible.test(entry)) continue;
    const content = readFileSync(path);
    if (content.length < minimumBytes) continue;
    writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
    writeFileSync(
      `${path}.br`,
      brotliCompressSync(content, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
        },
      }),
    );
  }
}

/**
 * The web UI: one single-page app for `/`, `/console` and `/admin`, plus the widget script. The
 * console and admin pages are separate chunks loaded on first visit (ui/src/main.tsx), and React is
 * its own long-cached chunk; scripts/check-bundle-budget.ts holds the customer side to a size budget.
 */
export default defineConfig({
  root: uiRoot,
  base: '/',
  plugins: [react(), widgetLoader()],
  build: {
    outDir,
    emptyOutDir: true,
    // Hashed names under /assets: the server caches them for a year.
    assetsDir: 'assets',
    // dist/ui/.vite/manifest.json (never served): which files each entry loads, for the size budget.
    manifest: true,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        'widget-app': fileURLToPath(new URL('./src/widget/widget.tsx', import.meta.url)),
      },
      output: {
        // React changes far less often than our code: a deploy does not make returning visitors fetch it again.
        manualChunks: (id) =>
          /[\\/]node_modules[\\/](?:react|react-dom|scheduler)[\\/]/.test(id) ? 'react' : undefined,
      },
    },
  },
  server: {
    // `vite --config ui/vite.config.ts` during development: the API runs on :3000.
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
