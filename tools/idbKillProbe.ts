/**
 * Does Chromium keep what IndexedDB acknowledged when the browser is killed?
 * A plain page, no Ferry: it writes one record per readwrite transaction and
 * records each `complete`; the browser is SIGKILLed mid-stream and relaunched
 * on the same profile, three times per round; then the last launch counts
 * what survived. Now and then Chromium finds its files corrupt at a relaunch
 * ("Corruption: checksum mismatch" in its log) and deletes the whole database.
 * `mixed` is Ferry's own pattern: each acknowledged record is a strict put
 * followed by two relaxed puts of bookkeeping (negative keys, not counted), so
 * it tells whether relaxed commits put the strict ones beside them at risk.
 *
 *     pnpm exec tsx tools/idbKillProbe.ts [relaxed|strict|mixed] [rounds]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, removeProfile } from './launchChromium.ts';

const durability = (process.argv[2] ?? 'relaxed') as IDBTransactionDurability | 'mixed';
/** The durability of the acknowledged puts, and how many relaxed puts follow each. */
const [ackedDurability, extra] = durability === 'mixed' ? ['strict', 2] : [durability, 0];
const rounds = Number(process.argv[3] ?? 20);
const CYCLES = 3;

const server = createServer((_req, res) =>
  res.setHeader('content-type', 'text/html').end('<!doctype html><title>probe</title>'),
);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

/** Opens database `probe` in the page; its one store is keyed by number. */
const OPEN = `new Promise((resolve, reject) => {
  const r = indexedDB.open('probe', 1);
  r.onupgradeneeded = () => r.result.createObjectStore('s');
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
})`;

let roundsWithLoss = 0;
let roundsWithHoles = 0;

/**
 * How many of launch `cycle`'s stored records were committed after one that is missing: 0 when what a kill
 * lost is a suffix of the commits, as a strict commit flushing the relaxed ones before it implies.
 */
function outOfOrder(have: ReadonlySet<number>, cycle: number): number {
  // A bookkeeping key -(key * 4 + i) belongs to `key`.
  const mine = [...have].map((k) => (k >= 0 ? k : Math.floor(-k / 4))).filter((k) => Math.floor(k / 1e6) === cycle);
  if (mine.length === 0) return 0;
  const order: number[] = [];
  for (let key = cycle * 1e6; key <= Math.max(...mine); key++) {
    order.push(key);
    for (let i = 1; i <= extra; i++) order.push(-(key * 4 + i));
  }
  const gap = order.findIndex((k) => !have.has(k));
  return gap === -1 ? 0 : order.slice(gap).filter((k) => have.has(k)).length;
}
for (let round = 1; round <= rounds; round++) {
  const profile = await mkdtemp(join(tmpdir(), 'idb-kill-probe-'));
  const acked: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const chrome = await launchChromium(profile);
    const page = await chrome.browser.contexts()[0]!.newPage();
    await page.goto(url);
    // Runs until the kill; keys are cycle * 1e6 + n, pushed to `acks` once committed.
    void page
      .evaluate(
        `(async () => {
      const db = await ${OPEN};
      window.acks = [];
      for (let n = 0; ; n++) {
        const key = ${cycle} * 1e6 + n;
        const put = (k, durability) => new Promise((resolve, reject) => {
          const tx = db.transaction('s', 'readwrite', { durability });
          tx.objectStore('s').put({ key: k, pad: 'x'.repeat(300) }, k);
          tx.oncomplete = resolve;
          tx.onerror = () => reject(tx.error);
        });
        await put(key, '${ackedDurability}');
        window.acks.push(key);
        for (let i = 1; i <= ${extra}; i++) await put(-(key * 4 + i), 'relaxed');
      }
    })()`,
      )
      .catch(() => {});
    const target = 60 + Math.floor(Math.random() * 140);
    await page.waitForFunction(`(window.acks?.length ?? 0) >= ${target}`);
    acked.push(...((await page.evaluate('[...window.acks]')) as number[]));
    await chrome.crash();
  }
  const chrome = await launchChromium(profile);
  const page = await chrome.browser.contexts()[0]!.newPage();
  await page.goto(url);
  const keys = (await page.evaluate(`(async () => {
    const db = await ${OPEN};
    return new Promise((resolve) => { const q = db.transaction('s').objectStore('s').getAllKeys(); q.onsuccess = () => resolve(q.result); });
  })()`)) as number[];
  await chrome.crash();
  await removeProfile(profile);
  const have = new Set(keys);
  const lostPerCycle = Array.from(
    { length: CYCLES },
    (_, c) => acked.filter((k) => Math.floor(k / 1e6) === c && !have.has(k)).length,
  );
  if (lostPerCycle.some((n) => n > 0)) roundsWithLoss++;
  const holes = Array.from({ length: CYCLES }, (_, c) => outOfOrder(have, c)).reduce((a, b) => a + b, 0);
  if (holes > 0) roundsWithHoles++;
  console.log(
    `round ${round}: ${acked.length} acknowledged, ${keys.filter((k) => k >= 0).length} stored, lost per launch ${lostPerCycle.join(' / ')}${keys.length === 0 ? ' (database dropped)' : ''}${holes > 0 ? `, ${holes} kept after a lost one` : ''}`,
  );
}
console.log(`${durability}: ${roundsWithLoss} of ${rounds} rounds lost acknowledged records`);
console.log(`${durability}: ${roundsWithHoles} of ${rounds} rounds kept a commit after losing an earlier one`);
server.close();
