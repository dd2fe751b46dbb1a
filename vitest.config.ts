import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**', 'scratch/**', 'dist/**', 'ui/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite instances are ~100 MB each and the machine has 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
