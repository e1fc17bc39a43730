/**
 * The offline scenario (e2e/scenario/offline.ts) at scale on TanStack Query, without a persister: mutations over
 * 4 lanes (one per scope) while the page reloads, the worker is killed and the server goes away and comes back.
 * At every sample the mutation cache's pending mutations are Ferry's unsettled ops.
 */
import { expect, openApp, test } from '../../../e2e/fixtures.ts';
import { runOfflineScenario } from '../../../e2e/scenario/offline.ts';
import { buildTq, tqApp } from './tq.ts';

test.beforeAll(async ({ testServer }) => {
  await buildTq(testServer.api.staticDir);
});

test('TanStack Query offline: 200 mutations over 4 lanes through 20 reloads, 5 worker kills and the server out and back: none lost, none applied twice, lane order kept, the cache counts what Ferry counts', async ({
  page,
  server,
  cdp,
}) => {
  test.setTimeout(120_000);
  await openApp(page, server, 'attempts=1000');
  // 200 mutations, 10 a round; a reload after every round; the worker killed in 5 rounds; the server out in 8.
  const { samples, restored } = await runOfflineScenario({ page, server, cdp }, tqApp, {
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
