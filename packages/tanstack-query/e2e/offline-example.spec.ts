/**
 * The offline scenario (e2e/scenario/offline.ts) in TanStack Query's own offline example (offline-example/, its
 * `examples/react/offline` with Ferry's change, no persister), built by Vite, its API on the test server: 200
 * comments over the 4 movies (one scope each) through 20 reloads, 5 worker kills and the server out in 8 rounds
 * (connections reset, then its API answering 503 through the reload). At every sample the mutation cache's pending
 * mutations are Ferry's unsettled ops, as listed and as `stats()` counts them, and none errored; at the end none is
 * lost, applied twice or out of its movie's order.
 */
import { fileURLToPath } from 'node:url';
import { expect, openApp, test } from '../../../e2e/fixtures.ts';
import { buildScript } from '../../../e2e/scenario/buildScript.ts';
import { runOfflineScenario } from '../../../e2e/scenario/offline.ts';
import { moviesApi } from './moviesApi.ts';
import { SCRIPT, offlineExample } from './offlineExample.ts';

test.beforeAll(async ({ testServer }) => {
  await buildScript(testServer.api.staticDir, {
    entry: fileURLToPath(new URL('offline-example/src/index.tsx', import.meta.url)),
    fileName: SCRIPT,
    alias: { '@ferry/tanstack-query': fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
  });
});

test.afterAll(({ testServer }) => {
  testServer.api.mounted = undefined;
});

test('TanStack Query’s offline example: 200 comments over 4 scopes through 20 reloads, 5 worker kills and the server out and back: none lost, none applied twice, scope order kept, the mutation cache counts what Ferry counts', async ({
  page,
  server,
  cdp,
}) => {
  test.setTimeout(180_000);
  server.api.mounted = moviesApi();
  await openApp(page, server, 'attempts=1000');
  // 10 comments a round; a reload after every round; the worker killed in 5 rounds; the server out in 8.
  const { samples, restored } = await runOfflineScenario({ page, server, cdp }, offlineExample, {
    rounds: 20,
    perRound: 10,
    lanes: 4,
    killed: (round) => round % 4 === 1,
    serverOut: (round) => round % 5 === 2 || round % 5 === 3,
    reloaded: () => true,
  });
  // Samples caught ops unsent, and reloads came with ops unsent that the new page's cache showed again.
  expect(Math.max(...samples)).toBeGreaterThan(0);
  expect(restored).toBeGreaterThan(0);
});
