import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumLaunch } from './chromium.config.ts';

export default defineConfig({
  test: {
    projects: [
      {
        // Pure logic and fake-indexeddb: Node.
        test: {
          name: 'node',
          include: ['packages/*/src/**/*.test.ts', 'demo/**/*.test.ts', 'bench/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.browser.test.ts'],
        },
      },
      {
        // The same suites against the real IndexedDB of headless Chromium.
        test: {
          name: 'chromium',
          include: ['packages/*/src/**/*.browser.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: chromiumLaunch }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
