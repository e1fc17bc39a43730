import { defineConfig } from '@playwright/test';
import { chromiumLaunch } from './chromium.config.ts';

/**
 * End-to-end tests in real Chromium: service worker, offline, reload,
 * killed workers, several tabs, durability across a browser crash.
 */
export default defineConfig({
  testDir: '.',
  testMatch: ['e2e/**/*.spec.ts', 'packages/*/e2e/**/*.spec.ts'],
  // e2e/.consumer holds the consumer app, whose own tests (the testing guide's) run under its own Playwright.
  testIgnore: ['**/node_modules/**', 'e2e/.consumer/**'],
  timeout: 60_000,
  // One worker: these tests kill browsers and measure; 2 cores are not enough for parallel runs.
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: chromiumLaunch,
  },
});
