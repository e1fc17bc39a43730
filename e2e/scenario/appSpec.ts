/**
 * The offline scenario's test for an app built by Vite from a framework binding (the Vue and Svelte packages'
 * e2e/offline.spec.ts): the app is built once per test process, then the short plan runs against it.
 */
import { fileURLToPath } from 'node:url';
import type { PluginOption } from 'vite';
import { expect, openApp, test } from '../fixtures.ts';
import { buildScript } from './buildScript.ts';
import { domApp } from './domApp.ts';
import { runOfflineScenario, shortPlan } from './offline.ts';

export interface BindingApp {
  /** The framework, for the test's title. */
  framework: string;
  /** The app's entry module. */
  entry: URL;
  /** The file it is built to, served at `/<script>`. */
  script: string;
  /** The framework's Vite plugin, if it needs one (React's `createElement` needs none). */
  plugin?: PluginOption;
}

export function offlineAppTest({ framework, entry, script, plugin }: BindingApp): void {
  test.beforeAll(async ({ testServer }) => {
    await buildScript(testServer.api.staticDir, {
      entry: fileURLToPath(entry),
      fileName: script,
      plugins: plugin ? [plugin] : [],
    });
  });

  test(`${framework} offline: 60 messages over 3 lanes through 4 reloads, 2 worker kills and the server out and back: none lost, none applied twice, lane order kept, the rendered counts are Ferry’s`, async ({
    page,
    server,
    cdp,
  }) => {
    await openApp(page, server, 'attempts=1000');
    const { samples, afterReload } = await runOfflineScenario({ page, server, cdp }, domApp(script), shortPlan);
    // Samples caught ops unsent, also right after reloads, where the app rendered them from its first snapshot.
    expect(Math.max(...samples)).toBeGreaterThan(0);
    expect(Math.max(...afterReload)).toBeGreaterThan(0);
  });
}
