import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**', 'scratch/**', 'dist/**', 'ui/dist/**'],
    // Generous: integration tests start databases, queues and browsers on a 2-core machine that CI
    // also loads with a second worker; a test that hangs still fails, only later.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // PGlite instances are ~100 MB each and the machine has 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
