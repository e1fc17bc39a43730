/**
 * Does Chromium keep what IndexedDB acknowledged when the browser is killed?
 * A plain page, no Ferry: it writes one record per readwrite transaction and
 * records each `complete`; the browser is SIGKILLed mid-stream and relaunched
 * on the same profile, three times per round; then the last launch counts
 * what survived. Now and then Chromium finds its files corrupt at a relaunch
 * ("Corruption: checksum mismatch" in its log) and deletes the whole database.
 *
 *     pnpm exec tsx tools/idbKillProbe.ts [relaxed|strict] [rounds]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, removeProfile } from './launchChromium.ts';

const durability = (process.argv[2] ?? 'relaxed') as IDBTransactionDurability;
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
        await new Promise((resolve, reject) => {
          const tx = db.transaction('s', 'readwrite', { durability: '${durability}' });
          tx.objectStore('s').put({ key, pad: 'x'.repeat(300) }, key);
          tx.oncomplete = resolve;
          tx.onerror = () => reject(tx.error);
        });
        window.acks.push(key);
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
  console.log(
    `round ${round}: ${acked.length} acknowledged, ${keys.length} stored, lost per launch ${lostPerCycle.join(' / ')}`,
  );
}
console.log(`${durability}: ${roundsWithLoss} of ${rounds} rounds lost acknowledged records`);
server.close();
