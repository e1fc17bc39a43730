/**
 * Ferry's end-to-end core, written once and run in Chromium, Firefox ESR and
 * WebKitGTK (`browsers.ts` says how each is driven). `FERRY_ENGINES`
 * (comma-separated) picks engines, `FERRY_SCENARIOS` scenarios; every measured
 * fact goes to `e2e/results/engines.json`, which the feature × engine table of
 * docs/browsers.md is written from.
 *
 * Neither Firefox nor WebKit has Background Sync: there the queue drains on
 * the worker's start, the page's kicks (every enqueue, `online`,
 * `visibilitychange`) and the worker's own retry timer, which is what these
 * scenarios exercise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDemo } from '../../demo/buildDemo.ts';
import { createDemoServer } from '../../demo/server/createDemoServer.ts';
// Declares `window.demo`, the demo page's handle.
import type {} from '../../demo/src/window.ts';
import { buildApp } from '../app/build.ts';
import { TestServer } from '../server/TestServer.ts';
import {
  appliedOnce,
  enqueueAll,
  getAll,
  message,
  openApp,
  ping,
  ready,
  record,
  setNetwork,
  whenDoneAll,
  writeResults,
} from './app.ts';
import type { EngineBrowser, EngineName, Tab } from './browsers.ts';
import { closeShared, ENGINES, launch } from './browsers.ts';

const pick = (env: string | undefined): string[] | undefined =>
  env
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const engines = (pick(process.env.FERRY_ENGINES) ?? ENGINES) as EngineName[];
const only = pick(process.env.FERRY_SCENARIOS);
const scenario = (name: string, fn: () => Promise<void>, timeout = 120_000): void =>
  (only && !only.includes(name) ? test.skip : test)(name, fn, timeout);

/** `FERRY_DEBUG=1` logs each scenario's steps. */
const step = (engine: string, what: string): void =>
  void (process.env.FERRY_DEBUG && console.log(`${new Date().toISOString()} ${engine}: ${what}`));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let appDir = '';
let server: TestServer;
beforeAll(async () => {
  appDir = await buildApp();
  server = await TestServer.start(appDir);
});
afterAll(async () => {
  await closeShared();
  await server?.close();
  await writeResults();
});

/** Launches `engine` for one test, closes it whatever happens, and keeps the test's duration. */
async function withBrowser(
  engine: EngineName,
  name: string,
  fn: (b: EngineBrowser) => Promise<void>,
  options = {},
): Promise<void> {
  await server.proxy.resume();
  server.reset();
  const started = Date.now();
  const b = await launch(engine, options);
  try {
    await fn(b);
  } finally {
    await b.close();
    await server.proxy.resume().catch(() => {});
  }
  record(engine, `duration.${name}`, Date.now() - started);
}

describe.each(engines)('%s', (engine) => {
  scenario('features', () =>
    withBrowser(engine, 'features', async (b) => {
      const [a, c] = [await b.newTab(), await b.newTab()];
      await openApp(a, server.url);
      await openApp(c, server.url);
      const worker = await ping(a);
      expect(worker).not.toBe('no-reply');
      const inPage = await a.run(async () => {
        const reg = await navigator.serviceWorker.ready;
        const persist =
          navigator.storage && typeof navigator.storage.persist === 'function'
            ? await Promise.race([
                navigator.storage.persist().then(String),
                new Promise<string>((r) => setTimeout(() => r('no answer in 3 s (permission prompt)'), 3000)),
              ])
            : 'navigator.storage is undefined';
        return {
          syncManager: 'SyncManager' in self,
          syncOnRegistration: 'sync' in reg,
          locks: typeof navigator.locks?.request === 'function',
          broadcastChannel: typeof BroadcastChannel === 'function',
          persist,
          persisted: navigator.storage?.persisted ? String(await navigator.storage.persisted()) : 'n/a',
        };
      }, null);
      // Web Locks across tabs: while tab a holds the lock, tab c cannot take it.
      await a.run(() => {
        void navigator.locks.request(
          'ferry-probe',
          () => new Promise<void>((r) => ((window as unknown as { release: () => void }).release = r)),
        );
      }, null);
      await sleep(100);
      const blocked = await c.run(
        () => navigator.locks.request('ferry-probe', { ifAvailable: true }, (lock) => lock === null),
        null,
      );
      await a.run(() => (window as unknown as { release: () => void }).release(), null);
      const after = await c.run(
        () => navigator.locks.request('ferry-probe', { ifAvailable: true }, (lock) => lock !== null),
        null,
      );
      // BroadcastChannel across tabs: a message posted in tab a arrives in tab c.
      await c.run(() => {
        const ch = new BroadcastChannel('ferry-probe');
        ch.onmessage = (e) => ((window as unknown as { got: unknown }).got = e.data);
      }, null);
      await a.run(() => new BroadcastChannel('ferry-probe').postMessage('hello'), null);
      await expect.poll(() => c.run(() => (window as unknown as { got?: unknown }).got ?? null, null)).toBe('hello');
      record(engine, 'features', {
        ...inPage,
        workerBackgroundSync: worker !== 'no-reply' && worker.backgroundSync,
        locksExclusiveAcrossTabs: blocked && after,
        broadcastAcrossTabs: true,
      });
      expect(blocked && after).toBe(true);
      expect(inPage.locks).toBe(true);
    }),
  );

  scenario('offline-reload', () =>
    withBrowser(engine, 'offline-reload', async (b) => {
      const tab = await b.newTab();
      await openApp(tab, server.url);
      await setNetwork(b, server.proxy, false);
      const ids = await enqueueAll(
        tab,
        [1, 2, 3].map((n) => message(n)),
      );
      // The enqueue's drain meets the outage (WebKit takes a moment to refuse the connection).
      await expect
        .poll(async () => (await getAll(tab, ids)).map((o) => o?.status), { timeout: 15_000 })
        .toEqual(['pending', 'pending', 'pending']);

      // The page reloads from the worker's app-shell cache; the ops are in IndexedDB.
      await tab.reload();
      await ready(tab);
      const onLine = await tab.run(() => navigator.onLine, null);
      const worker = await ping(tab);
      record(engine, 'offline', {
        means:
          b.network === 'page+worker'
            ? 'driver'
            : b.network === 'page'
              ? 'driver (page) + server stopped (worker)'
              : 'server stopped',
        pageOnLine: onLine,
        workerOnLine: worker !== 'no-reply' && worker.online,
        reloadFromWorker: true,
      });
      const after = await getAll(tab, ids);
      // No answer from the server spends no attempt. The worker keeps retrying through the outage, so
      // the lane's head may be `inflight` at this instant (seen in 1 of 5 loop runs, both engines).
      expect(after.map((o) => [o?.status === 'inflight' ? 'pending' : o?.status, o?.attempt])).toEqual([
        ['pending', 0],
        ['pending', 0],
        ['pending', 0],
      ]);
      expect(server.received).toHaveLength(0);

      const back = Date.now();
      const done = whenDoneAll(tab, ids);
      await setNetwork(b, server.proxy, true);
      expect((await done).map((o) => o.status)).toEqual(['done', 'done', 'done']);
      record(engine, 'offline.deliveredAfterOnlineMs', Date.now() - back);
      expect(appliedOnce(server)).toEqual([1, 2, 3]);
      expect(server.received.map((r) => r.key)).toEqual(after.map((o) => o?.idempotencyKey));
    }),
  );

  scenario('worker-restart', () =>
    withBrowser(
      engine,
      'worker-restart',
      async (b) => {
        const tab = await b.newTab();
        await openApp(tab, server.url);
        const owners = new Set<string>();
        const see = async (): Promise<void> => {
          const p = await ping(tab);
          if (p !== 'no-reply') owners.add(p.owner);
        };
        await see();
        const kills = b.stopWorker !== undefined || engine === 'webkit';
        const N = kills ? 5 : 12;
        if (kills) {
          // The first send of op 1 is applied but never answered: the worker dies with it in flight.
          server.plan = (req, nth) => ((req.body as { n: number }).n === 1 && nth === 1 ? 'apply-and-hang' : 'pass');
        } else {
          // Firefox: slow answers, and Firefox's own lifetime limit (1 s, see launch) stops the worker mid-drain.
          server.plan = () => ({ latencyMs: 400 });
        }
        const ids = await enqueueAll(
          tab,
          Array.from({ length: N }, (_, i) => message(i + 1)),
        );
        await expect.poll(() => server.received.length).toBeGreaterThan(0);
        if (b.stopWorker) {
          await b.stopWorker.run();
        } else if (engine === 'webkit') {
          // WebKit: no driver command stops the worker, and killing its web process (the page's too)
          // ends the WebDriver session. WebKit stops a worker once no page of its origin is open: the
          // user leaves the site with the send in flight and comes back (seen stopped after 35 s,
          // still running after 5 s).
          await tab.goto('about:blank');
          await sleep(35_000);
          await openApp(tab, server.url);
        }
        // What pages do: kick the worker now and then (an enqueue, `online`, a tab becoming visible).
        const deadline = Date.now() + 90_000;
        while (server.applied.length < N && Date.now() < deadline) {
          await see();
          await tab.run(() => window.ferry.kick().catch(() => {}), null);
          await sleep(kills ? 500 : 2500);
        }
        const done = await whenDoneAll(tab, ids);
        await see();
        expect(done.map((o) => o.status)).toEqual(ids.map(() => 'done'));
        expect(appliedOnce(server)).toEqual(ids.map((_, i) => i + 1));
        record(engine, 'workerRestart', {
          means: b.stopWorker
            ? 'CDP ServiceWorker.stopAllWorkers'
            : engine === 'webkit'
              ? 'WebKit stopped it while no page of its origin was open (35 s)'
              : "Firefox's own lifetime limit, set to 1 s",
          workerInstances: owners.size,
          requests: server.received.length,
          ops: N,
        });
        // A new worker instance finished the drain.
        expect(owners.size).toBeGreaterThanOrEqual(2);
        if (kills) expect(server.sent(done[0]?.idempotencyKey ?? '')).toHaveLength(2);
      },
      { workerLifetimeMs: 1000 },
    ),
  );

  scenario('three-tabs', () =>
    withBrowser(engine, 'three-tabs', async (b) => {
      const tabs: Tab[] = [];
      for (let t = 0; t < 3; t++) {
        const tab = await b.newTab();
        await openApp(tab, server.url);
        tabs.push(tab);
      }
      server.plan = (req) => ({ latencyMs: 5 + ((req.body as { i: number }).i % 4) * 5 });
      const PER_TAB = 20;
      // Started in every tab before any finishes: WebDriver classic runs one script at a time, so each tab runs on its own.
      for (const [t, tab] of tabs.entries()) {
        await tab.run(
          ({ t, PER_TAB }) => {
            const w = window as unknown as { burst?: Promise<string[]>; burstIds?: string[] };
            w.burst = (async () => {
              const ids: string[] = [];
              for (let i = 0; i < PER_TAB; i++) {
                const lane = i % 2 ? 'odd' : 'even';
                ids.push(
                  await window.ferry.enqueue({
                    kind: 'k',
                    target: '/api/t',
                    lane,
                    payload: { n: t * 100 + i, tab: t, i, lane },
                  }),
                );
              }
              return ids;
            })();
            void w.burst.then((ids) => (w.burstIds = ids));
          },
          { t, PER_TAB },
        );
      }
      const ids: string[] = [];
      for (const tab of tabs) {
        await expect
          .poll(() => tab.run(() => (window as unknown as { burstIds?: string[] }).burstIds?.length ?? 0, null), {
            timeout: 30_000,
          })
          .toBe(PER_TAB);
        ids.push(...(await tab.run(() => (window as unknown as { burstIds: string[] }).burstIds, null)));
      }
      const done = await whenDoneAll(tabs[0]!, ids);
      expect(done.map((o) => o.status)).toEqual(ids.map(() => 'done'));
      // One request per op: no op sent twice, nothing applied twice.
      expect(server.received).toHaveLength(3 * PER_TAB);
      expect(new Set(server.received.map((r) => r.key)).size).toBe(3 * PER_TAB);
      appliedOnce(server);
      // Per lane, the server saw enqueue (seq) order, which keeps each tab's own order.
      const bodies = server.received.map((r) => r.body as { tab: number; i: number; lane: string });
      for (const lane of ['odd', 'even']) {
        const bySeq = done
          .filter((o) => o.lane === lane)
          .sort((x, y) => x.seq - y.seq)
          .map((o) => o.idempotencyKey);
        expect(server.received.filter((r) => (r.body as { lane: string }).lane === lane).map((r) => r.key)).toEqual(
          bySeq,
        );
        for (let t = 0; t < 3; t++) {
          const is = bodies.filter((x) => x.lane === lane && x.tab === t).map((x) => x.i);
          expect(is).toEqual([...is].sort((x, y) => x - y));
        }
      }
      // Every tab heard every op's changes, whichever tab enqueued it (BroadcastChannel from the worker).
      for (const tab of tabs) {
        const heard = await tab.run(
          () => new Set(window.changes.filter((c) => c.op.status === 'done').map((c) => c.op.id)).size,
          null,
        );
        expect(heard).toBe(3 * PER_TAB);
      }
      record(engine, 'threeTabs', { ops: 3 * PER_TAB, requests: server.received.length });
    }),
  );

  scenario('page-mode', () =>
    withBrowser(engine, 'page-mode', async (b) => {
      const [a, c] = [await b.newTab(), await b.newTab()];
      await openApp(a, server.url, 'mode=page');
      await openApp(c, server.url, 'mode=page');
      expect(await a.run(() => navigator.serviceWorker.controller, null)).toBeNull();
      // Two tabs, two hosts, one Web Lock: each op once, in lane order.
      const start = (tab: Tab, t: number) =>
        tab.run((t) => {
          const w = window as unknown as { burstIds?: string[] };
          void Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              window.ferry.enqueue({
                kind: 'k',
                target: '/api/p',
                lane: `tab-${t}`,
                payload: { n: t * 100 + i, lane: `tab-${t}` },
              }),
            ),
          ).then((ids) => (w.burstIds = ids));
        }, t);
      await start(a, 1);
      await start(c, 2);
      const idsOf = async (tab: Tab): Promise<string[]> => {
        await expect
          .poll(() => tab.run(() => (window as unknown as { burstIds?: string[] }).burstIds?.length ?? 0, null))
          .toBe(8);
        return tab.run(() => (window as unknown as { burstIds: string[] }).burstIds, null);
      };
      const ids = [...(await idsOf(a)), ...(await idsOf(c))];
      await expect.poll(() => server.applied.length, { timeout: 20_000 }).toBe(16);
      expect(new Set(server.received.map((r) => r.key)).size).toBe(server.received.length);
      const applied = appliedOnce(server);
      for (const t of [1, 2])
        expect(applied.filter((n) => Math.floor(n / 100) === t)).toEqual(
          Array.from({ length: 8 }, (_, i) => t * 100 + i),
        );
      expect((await whenDoneAll(c, ids)).map((o) => o.status)).toEqual(ids.map(() => 'done'));

      // An outage in page mode, then the first tab closed: the other tab's host takes the lock and delivers.
      await setNetwork(b, server.proxy, false);
      const [late] = await enqueueAll(a, [message(901)]);
      await sleep(300);
      await a.close();
      const [later] = await enqueueAll(c, [message(902)]);
      await setNetwork(b, server.proxy, true);
      const both = await whenDoneAll(c, [late!, later!]);
      expect(both.map((o) => o.status)).toEqual(['done', 'done']);
      expect(appliedOnce(server).slice(-2)).toEqual([901, 902]);
      record(engine, 'pageMode', { ops: 18, requests: server.received.length });
    }),
  );

  scenario('restart', () => restartScenario(engine), 180_000);

  scenario('crash', () => crashScenario(engine), 180_000);

  scenario('demo-offline', () => demoScenario(engine), 120_000);
});

/** The browser closed and started again on the same profile: every acknowledged op is still there and goes out once. */
async function restartScenario(engine: EngineName): Promise<void> {
  server.reset();
  const profile = await mkdtemp(join(tmpdir(), `ferry-${engine}-restart-`));
  const started = Date.now();
  try {
    // Op 1 is applied but never answered, the rest wait behind it in its lane: the browser closes with all of them owed.
    server.plan = (req, nth) => ((req.body as { n: number }).n === 1 && nth === 1 ? 'apply-and-hang' : 'pass');
    let ids: string[] = [];
    let closeMs = 0;
    {
      const b = await launch(engine, { profile });
      try {
        const tab = await b.newTab();
        await openApp(tab, server.url);
        ids = await enqueueAll(
          tab,
          Array.from({ length: 10 }, (_, i) => message(i + 1)),
        );
        await expect.poll(() => server.received.length).toBe(1);
      } finally {
        // Whatever the worker sends while the browser shuts down is left unanswered and unapplied, so
        // the browser closes with all ten owed. Chromium's close waits for the hanging send (15.2–15.7 s
        // here, until the transport's 15 s timeout ends it), and in 1 of the first 2 loop runs its
        // worker then resent op 1 and delivered ops 2–10 before the browser was gone.
        server.plan = () => 'hang';
        const closing = Date.now();
        await b.close();
        closeMs = Date.now() - closing;
      }
    }
    expect(server.applied).toHaveLength(1);
    server.plan = () => 'pass';
    const b = await launch(engine, { profile });
    try {
      const tab = await b.newTab();
      await tab.goto(`${server.url}/`);
      // Was the page controlled at once, by the worker registered before the restart?
      const controlledAtLoad = await tab.run(() => navigator.serviceWorker.controller !== null, null);
      await ready(tab);
      const stored = await getAll(tab, ids);
      expect(stored.filter((o) => o === undefined)).toHaveLength(0);
      const done = await whenDoneAll(tab, ids);
      expect(done.map((o) => o.status)).toEqual(ids.map(() => 'done'));
      expect(appliedOnce(server)).toEqual(ids.map((_, i) => i + 1));
      // Op 1 went out again with its key after the restart (and maybe once more, unanswered, while
      // the browser closed); the server did not apply it twice.
      expect(server.sent(done[0]?.idempotencyKey ?? '').length).toBeGreaterThanOrEqual(2);
      record(engine, 'restart', {
        closeMs,
        opsKept: stored.length,
        of: ids.length,
        workerControlsFirstLoad: controlledAtLoad,
        closedBy: engine === 'webkit' ? 'WebDriver deleteSession' : 'Playwright context.close()',
      });
    } finally {
      await b.close();
    }
  } finally {
    await rm(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
  record(engine, 'duration.restart', Date.now() - started);
}

/**
 * The browser killed mid-queue (SIGKILL of all its processes, `EngineBrowser.crash`) and started
 * again on the same profile: every acknowledged op is still there and goes out once, in order.
 * Op 1 is applied but unanswered when the kill comes, ops 2–10 wait behind it, and ops 11–15 are
 * killed right after their acks, with no pause in which a lazy write could land.
 */
async function crashScenario(engine: EngineName): Promise<void> {
  server.reset();
  const profile = await mkdtemp(join(tmpdir(), `ferry-${engine}-crash-`));
  const started = Date.now();
  try {
    server.plan = (req, nth) => ((req.body as { n: number }).n === 1 && nth === 1 ? 'apply-and-hang' : 'pass');
    let ids: string[] = [];
    let killed = 0;
    {
      const b = await launch(engine, { profile });
      try {
        const tab = await b.newTab();
        await openApp(tab, server.url);
        ids = await enqueueAll(
          tab,
          Array.from({ length: 10 }, (_, i) => message(i + 1)),
        );
        await expect.poll(() => server.received.length).toBe(1);
        ids.push(
          ...(await enqueueAll(
            tab,
            Array.from({ length: 5 }, (_, i) => message(i + 11)),
          )),
        );
        if (!b.crash) throw new Error(`${engine}: launched on a profile but cannot crash`);
        killed = await b.crash();
      } finally {
        await b.close();
      }
    }
    step(engine, `crash: killed ${killed} processes`);
    expect(server.applied).toHaveLength(1);
    server.plan = () => 'pass';
    const b = await launch(engine, { profile });
    try {
      const tab = await b.newTab();
      await tab.goto(`${server.url}/`);
      const controlledAtLoad = await tab.run(() => navigator.serviceWorker.controller !== null, null);
      await ready(tab);
      const stored = await getAll(tab, ids);
      record(engine, 'crash', {
        killed: `SIGKILL of ${killed} processes (the browser and every process under it)`,
        opsKept: stored.filter((o) => o !== undefined).length,
        of: ids.length,
        workerControlsFirstLoad: controlledAtLoad,
      });
      expect(stored.map((o, i) => (o === undefined ? i + 1 : 0)).filter(Boolean)).toEqual([]);
      const done = await whenDoneAll(tab, ids);
      expect(done.map((o) => o.status)).toEqual(ids.map(() => 'done'));
      expect(appliedOnce(server)).toEqual(ids.map((_, i) => i + 1));
      // Op 1 went out again with its key after the crash; the server did not apply it twice.
      expect(server.sent(done[0]?.idempotencyKey ?? '')).toHaveLength(2);
    } finally {
      await b.close();
    }
  } finally {
    await rm(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
  record(engine, 'duration.crash', Date.now() - started);
}

let demoDist: string | undefined;

/**
 * Waits for the demo page's handle, then for it to be ready. In one of the
 * first loop runs (WebKit, a machine at load 20) `window.demo` was still
 * undefined right after WebKitWebDriver's navigation had returned; a wait
 * that starts that way is logged with the document's readyState, to find out why.
 */
async function demoReady(engine: EngineName, tab: Tab): Promise<void> {
  const first = await tab.run(() => (typeof window.demo === 'undefined' ? document.readyState : 'handle'), null);
  if (first !== 'handle')
    console.log(`${engine}: demo-offline: no window.demo yet after the navigation returned (readyState ${first})`);
  await expect.poll(() => tab.run(() => typeof window.demo !== 'undefined', null), { timeout: 15_000 }).toBe(true);
  await tab.run(() => window.demo.ready, null);
}

/** The demo's offline flow, as a user meets it: type offline, reload offline, messages go out once, in order, when the network returns. */
async function demoScenario(engine: EngineName): Promise<void> {
  const started = Date.now();
  if (!demoDist) demoDist = await buildDemo(await mkdtemp(join(tmpdir(), 'ferry-demo-dist-')));
  const demo = createDemoServer({ staticDir: demoDist });
  const url = await demo.listen(0);
  const port = Number(new URL(url).port);
  const outage = { stop: () => demo.stop(), resume: () => demo.listen(port).then(() => {}) };
  const b = await launch(engine);
  try {
    const tab = await b.newTab();
    await tab.goto(`${url}/?fast=1`);
    await demoReady(engine, tab);
    await expect.poll(() => tab.run(() => navigator.serviceWorker.controller !== null, null)).toBe(true);
    step(engine, 'demo: controlled; going offline');
    await setNetwork(b, outage, false);
    step(engine, 'demo: offline');
    const texts = ['first, typed offline', 'second, typed offline', 'third, typed offline'];
    for (const text of texts) await tab.type('#text', text);
    step(engine, 'demo: typed');
    const badges = () =>
      tab.run(
        () =>
          [...document.querySelectorAll('#messages .msg')].map((m) => [
            m.querySelector('.text')?.textContent,
            m.querySelector('.badge')?.textContent,
          ]),
        null,
      );
    const all = (badge: string) => texts.map((t) => [t, badge]);
    // Chromium's worker knows it is offline and shows `pending`; where only the server is gone
    // (Firefox's worker, WebKit) the sends fail with network errors and the badge says `retrying`.
    const waiting = async (): Promise<string[]> => {
      const seen = await badges();
      expect(seen.map(([t]) => t)).toEqual(texts);
      for (const [, badge] of seen) expect(['pending', 'retrying', 'sending']).toContain(badge?.replace(/…$/, ''));
      return seen.map(([, badge]) => badge ?? '');
    };
    await expect.poll(async () => (await badges()).length).toBe(texts.length);
    const before = await waiting();
    step(engine, `demo: badges ${before}; reloading`);
    await tab.reload();
    await demoReady(engine, tab);
    await expect.poll(async () => (await badges()).length).toBe(texts.length);
    const afterReload = await waiting();
    record(engine, 'demoOffline', { badgesOffline: before, badgesAfterReload: afterReload });
    expect(await demo.messages()).toHaveLength(0);
    step(engine, `demo: reloaded, badges ${afterReload}; going online`);
    await setNetwork(b, outage, true);
    step(engine, 'demo: online');
    await expect.poll(badges, { timeout: 30_000 }).toEqual(all('sent'));
    expect((await demo.messages()).map((e) => String(e.message.text))).toEqual(texts);
    const applied = demo.wire.filter((w) => w.status === 201 && !w.replayed).map((w) => w.key);
    expect(new Set(applied).size).toBe(texts.length);
  } finally {
    await b.close();
    await demo.close().catch(() => {});
  }
  record(engine, 'duration.demo-offline', Date.now() - started);
}
