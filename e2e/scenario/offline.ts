/**
 * The offline scenario of TanStack Query's offline example (changes made offline, the page reloaded, the changes
 * resumed), run against any app on the test page: messages over a few lanes, a round at a time, while the page
 * reloads, the worker is killed and the server goes away and comes back. After every round and every reload the
 * app's view must agree with Ferry's (each app says what agreeing means); at the end none is lost, none applied
 * twice, and each lane was applied in order.
 */
import type { Page } from '@playwright/test';
import type { ServiceWorkers } from '../../packages/testing/src/playwright/index.ts';
import { expect } from '../fixtures.ts';
import type { Applied, TestServer } from '../server/TestServer.ts';

/** One change the user makes; its lane is `lane-<n % lanes>`. */
export interface Message {
  n: number;
  lane: string;
}

/** Messages `from` … `to - 1`, over `lanes` lanes. */
export const messages = (from: number, to: number, lanes = 4): Message[] =>
  Array.from({ length: to - from }, (_, i) => ({ n: from + i, lane: `lane-${(from + i) % lanes}` }));

/** The app under test, as the scenario drives it. */
export interface ScenarioApp {
  /** Loads the app into the freshly loaded test page; resolves with how many unfinished changes it restored. */
  load(page: Page): Promise<number>;
  /** Makes the changes, as the user's clicks do. */
  mutate(page: Page, messages: Message[]): Promise<void>;
  /** The app's view and Ferry's status: `unsent` is Ferry's count, or -1 while they disagree. */
  compare(page: Page): Promise<{ agree: boolean; unsent: number }>;
  /** The change an effect the server applied carries. @default its body, a {@link Message} */
  message?(applied: Applied): Message;
}

export interface ScenarioPlan {
  rounds: number;
  perRound: number;
  lanes: number;
  /** Rounds in which the worker is killed after the changes are made. */
  killed(round: number): boolean;
  /** Rounds in which the server is out (connections reset while mutating, its API answering 503 after). */
  serverOut(round: number): boolean;
  /** Rounds that end with a reload. */
  reloaded(round: number): boolean;
}

export interface ScenarioResult {
  /** Ferry's unsent ops at every sample. */
  samples: number[];
  /** Ferry's unsent ops at the samples right after a reload. */
  afterReload: number[];
  /** What the app restored on its loads after reloads. */
  restored: number;
}

/** Ops Ferry holds, whatever their status: every change's, once its enqueue resolved. */
const stored = (page: Page): Promise<number> =>
  page.evaluate(async () => (await window.ferry.list({ limit: 10_000 })).length);

/** Waits until the app's view agrees with Ferry's; returns Ferry's unsent ops then. */
async function sample(page: Page, app: ScenarioApp): Promise<number> {
  let last = { agree: false, unsent: -1 };
  await expect
    .poll(
      async () => {
        last = await app.compare(page);
        return last.agree;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return last.unsent;
}

/**
 * Runs `plan` against `app` on a page already opened with enough attempts that no op becomes a dead letter, and
 * checks the server's effects: every change applied once, in order per lane.
 */
export async function runOfflineScenario(
  { page, server, cdp }: { page: Page; server: TestServer; cdp: ServiceWorkers },
  app: ScenarioApp,
  plan: ScenarioPlan,
): Promise<ScenarioResult> {
  const all = messages(0, plan.rounds * plan.perRound, plan.lanes);
  expect(await app.load(page)).toBe(0);
  const samples: number[] = [];
  const afterReload: number[] = [];
  let restored = 0;
  for (let round = 0; round < plan.rounds; round++) {
    server.plan = () => 'pass';
    server.proxy.down = plan.serverOut(round);
    await app.mutate(page, all.slice(round * plan.perRound, (round + 1) * plan.perRound));
    await expect.poll(() => stored(page)).toBe((round + 1) * plan.perRound);
    if (plan.killed(round)) await cdp.stopAll();
    samples.push(await sample(page, app));
    // The host is back for the reload (the apps' scripts are not in the worker's cache); its API still answers
    // 503 in an outage round, so the reloaded page has ops unsent that the app must show.
    server.proxy.down = false;
    if (plan.serverOut(round)) server.plan = () => ({ status: 503 });
    if (!plan.reloaded(round)) continue;
    await page.reload();
    await page.evaluate(() => window.ferryReady);
    restored += await app.load(page);
    afterReload.push(await sample(page, app));
  }
  server.plan = () => 'pass';
  await page.evaluate(() => window.ferry.kick());
  // All sent, and the app shows it.
  await expect.poll(async () => app.compare(page), { timeout: 30_000 }).toEqual({ agree: true, unsent: 0 });

  const applied = server.applied.map((a) => (app.message ? app.message(a) : (a.body as Message)));
  expect(applied.map((m) => m.n).sort((a, b) => a - b)).toEqual(all.map((m) => m.n));
  for (let lane = 0; lane < plan.lanes; lane++) {
    const order = applied.filter((m) => m.lane === `lane-${lane}`).map((m) => m.n);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }
  expect(cdp.stops).toHaveLength(Array.from({ length: plan.rounds }, (_, r) => r).filter(plan.killed).length);
  return { samples: [...samples, ...afterReload], afterReload, restored };
}

/**
 * The scenario in short, for the binding apps (under 30 s each): 60 changes over 3 lanes, 10 a round; the worker
 * killed in rounds 1 and 4, the server out in rounds 2 and 3, a reload after rounds 0, 1, 3 and 4.
 */
export const shortPlan: ScenarioPlan = {
  rounds: 6,
  perRound: 10,
  lanes: 3,
  killed: (round) => round === 1 || round === 4,
  serverOut: (round) => round === 2 || round === 3,
  reloaded: (round) => round !== 2 && round !== 5,
};
