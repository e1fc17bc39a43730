/**
 * The e2e test app (`e2e/app`) driven through an engine-neutral `Tab`, and the
 * results file the feature × engine table of docs/browsers.md is written from.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Operation, OperationInput } from '../../packages/core/src/index.ts';
import type { Reply } from '../../packages/core/src/protocol/index.ts';
import type { TestServer } from '../server/TestServer.ts';
import type { EngineBrowser, EngineName, Tab } from './browsers.ts';

/** Opens the test page with `flags`; waits for the client, and (outside page mode) for the worker to control the page. */
export async function openApp(tab: Tab, url: string, flags = ''): Promise<void> {
  await tab.goto(`${url}/${flags ? `?${flags}` : ''}`);
  await ready(tab, !flags.includes('mode=page'));
}

/** Waits for the page's client after a load or a reload. */
export async function ready(tab: Tab, controlled = true): Promise<void> {
  // The page's handle may not exist yet right after a WebKitWebDriver navigation (seen once with the demo's).
  await expect
    .poll(() => tab.run(() => typeof window.ferryReady !== 'undefined', null), { timeout: 15_000 })
    .toBe(true);
  await tab.run(() => window.ferryReady, null);
  if (controlled)
    await expect
      .poll(() => tab.run(() => navigator.serviceWorker.controller !== null, null), { timeout: 15_000 })
      .toBe(true);
}

/** An op of the test API; `n` ends up in the body the server records. */
export const message = (n: number, more: Partial<OperationInput> = {}): OperationInput => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { n, lane: more.lane ?? 'default' },
  ...more,
});

/** Enqueues one after the other (so enqueue order is the order of `ops`); resolves with the ids. */
export const enqueueAll = (tab: Tab, ops: OperationInput[]): Promise<string[]> =>
  tab.run(async (ops) => {
    const ids: string[] = [];
    for (const op of ops) ids.push(await window.ferry.enqueue(op));
    return ids;
  }, ops);

export const getAll = (tab: Tab, ids: string[]): Promise<(Operation | undefined)[]> =>
  tab.run((ids) => Promise.all(ids.map((id) => window.ferry.get(id))), ids);

export const whenDoneAll = (tab: Tab, ids: string[]): Promise<Operation[]> =>
  tab.run((ids) => Promise.all(ids.map((id) => window.ferry.whenDone(id))), ids);

/** The worker's `ping`: its runner's id (new for every worker instance), whether it thinks it is online, Background Sync. */
export async function ping(
  tab: Tab,
): Promise<{ owner: string; online: boolean; backgroundSync: boolean } | 'no-reply'> {
  const reply = await tab.run((ms) => window.raw({ v: 1, id: 'ping', type: 'ping' }, ms), 3000);
  if (reply === 'no-reply' || !(reply as Reply).ok) return 'no-reply';
  return (reply as Extract<Reply, { ok: true }>).result as { owner: string; online: boolean; backgroundSync: boolean };
}

/** Something that can be taken off the network and put back on the same port: the test server or the demo's. */
export interface Outage {
  stop(): Promise<void>;
  resume(): Promise<void>;
}

/**
 * Takes the browser offline as far as its driver can (`EngineBrowser.network`),
 * and stops the server where the driver's emulation does not reach the service
 * worker (Firefox) or does not exist (WebKit): there "offline" is a server that
 * refuses connections, and in WebKit `navigator.onLine` stays true.
 */
export async function setNetwork(browser: EngineBrowser, server: Outage, online: boolean): Promise<void> {
  const stops = browser.network !== 'page+worker';
  if (!online) {
    await browser.setOffline(true);
    if (stops) await server.stop();
  } else {
    if (stops) await server.resume();
    await browser.setOffline(false);
  }
}

/** The server's view of a run: every key applied exactly once, and the `n`s in the order applied. */
export function appliedOnce(server: TestServer): number[] {
  const keys = server.applied.map((a) => a.key);
  expect(new Set(keys).size).toBe(keys.length);
  return server.applied.map((a) => (a.body as { n: number }).n);
}

// ------------------------------------------------------------ results file

type Facts = Record<string, unknown>;
const resultsFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'engines.json');
const facts: Partial<Record<EngineName, Facts>> = {};

/** Records a measured fact for docs/browsers.md's feature × engine table (`e2e/results/engines.json`). */
export function record(engine: EngineName, name: string, value: unknown): void {
  (facts[engine] ??= {})[name] = value;
}

/** Merges this run's facts into the results file. */
export async function writeResults(): Promise<void> {
  let old: { engines?: Partial<Record<EngineName, Facts>> } = {};
  try {
    old = JSON.parse(await readFile(resultsFile, 'utf8'));
  } catch {}
  const engines = { ...old.engines };
  for (const [engine, f] of Object.entries(facts) as [EngineName, Facts][])
    engines[engine] = { ...engines[engine], ...f };
  await mkdir(dirname(resultsFile), { recursive: true });
  const tmp = `${resultsFile}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ updated: new Date().toISOString(), engines }, null, 2)}\n`);
  await rename(tmp, resultsFile);
}
