import { defineConfig } from 'vitest/config';

/**
 * Ferry's end-to-end core in Chromium, Firefox ESR and WebKitGTK
 * (`pnpm test:engines`). One test at a time: each launches a browser, and the
 * machines have two cores.
 */
export default defineConfig({
  test: {
    name: 'engines',
    root: new URL('../..', import.meta.url).pathname,
    include: ['e2e/engines/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
