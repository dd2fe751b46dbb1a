import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build, defineConfig, type Plugin } from 'vite';

const uiRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/ui', import.meta.url));

/**
 * Builds the embeddable widget after the app: one classic (IIFE) script, `dist/ui/widget.js`, that a
 * host page loads with a plain `<script src>`, so it cannot share the app's ES module chunks.
 */
function widgetBuild(): Plugin {
  return {
    name: 'switchboard-widget-build',
    apply: 'build',
    async closeBundle() {
      // The React plugin picks its JSX runtime from NODE_ENV (vitest sets `test`, which would emit
      // jsxDEV calls into a bundle whose React is the production build): build this one as production.
      const callerEnv = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        await buildWidget();
      } finally {
        if (callerEnv === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = callerEnv;
      }
    },
  };
}

function buildWidget() {
  return build({
    configFile: false,
    root: uiRoot,
    mode: 'production',
    logLevel: 'warn',
    plugins: [react()],
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      lib: {
        entry: fileURLToPath(new URL('./src/widget/widget.tsx', import.meta.url)),
        formats: ['iife'],
        name: 'SwitchboardWidget',
        fileName: () => 'widget.js',
      },
    },
  });
}

/** The web UI: one single-page app for `/`, `/console` and `/admin`, plus the widget script. */
export default defineConfig({
  root: uiRoot,
  base: '/',
  plugins: [react(), widgetBuild()],
  build: {
    outDir,
    emptyOutDir: true,
    // Hashed names under /assets: the server caches them for a year.
    assetsDir: 'assets',
  },
  server: {
    // `vite --config ui/vite.config.ts` during development: the API runs on :3000.
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
