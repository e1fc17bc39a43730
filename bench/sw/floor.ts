/// <reference lib="webworker" />
/**
 * The floor's service worker: what the browser itself allows, with no queue
 * logic. `put` writes one record with a raw idb put, group-committed like
 * Ferry's enqueue (whatever arrived while a transaction ran shares the next
 * one), with Ferry's default durability (`strict`), or `relaxed` when its
 * script URL has `?relaxed`; `fetchAll` sends requests with
 * plain `fetch`, Ferry's concurrency and one request per lane at a time,
 * storing nothing.
 */
import { openDB } from 'idb';
import type { BenchOp, BenchRequest } from '../page/wire.ts';

declare const self: ServiceWorkerGlobalScope;

/** `strict` is Ferry's default (packages/idb/src/IdbStore.ts); each Ferry mode is compared with the floor of its own. */
const DURABILITY: IDBTransactionDurability = new URLSearchParams(self.location.search).has('relaxed')
  ? 'relaxed'
  : 'strict';

const db = openDB(`floor-${DURABILITY}`, 1, { upgrade: (d) => void d.createObjectStore('ops', { keyPath: 'id' }) });
let waiting: { op: BenchOp; done: () => void; fail: (e: unknown) => void }[] = [];
let flushing = false;

function put(op: BenchOp): Promise<void> {
  return new Promise((done, fail) => {
    waiting.push({ op, done, fail });
    if (!flushing) void flush();
  });
}

async function flush(): Promise<void> {
  flushing = true;
  const d = await db;
  while (waiting.length > 0) {
    const batch = waiting;
    waiting = [];
    try {
      const tx = d.transaction('ops', 'readwrite', { durability: DURABILITY });
      for (const w of batch)
        void tx.store.put({
          ...w.op,
          status: 'pending',
          attempt: 0,
          seq: w.op.payload.seq,
          nextAttemptAt: 0,
          createdAt: 0,
          updatedAt: 0,
        });
      await tx.done;
      for (const w of batch) w.done();
    } catch (err) {
      for (const w of batch) w.fail(err);
    }
  }
  flushing = false;
}

async function fetchAll(ops: BenchOp[], concurrency: number): Promise<number> {
  const lanes = new Map<string, BenchOp[]>();
  for (const op of ops) lanes.set(op.lane, [...(lanes.get(op.lane) ?? []), op]);
  const busy = new Set<string>();
  let failed = 0;
  const next = (): BenchOp | undefined => {
    for (const [lane, q] of lanes) {
      if (busy.has(lane) || q.length === 0) continue;
      busy.add(lane);
      return q.shift();
    }
    return undefined;
  };
  const worker = async (): Promise<void> => {
    for (let op = next(); op; op = next()) {
      const res = await fetch(op.target, {
        method: 'POST',
        body: JSON.stringify(op.payload),
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': op.key },
      });
      if (!res.ok) failed++;
      await res.body?.cancel();
      busy.delete(op.lane);
    }
  };
  // A worker that finds every ready lane busy stops; the ones left carry on, as Ferry's lanes do.
  await Promise.all(Array.from({ length: concurrency }, worker));
  // Lanes freed after their worker stopped: drain what remains.
  while ([...lanes.values()].some((q) => q.length > 0)) await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

self.addEventListener('install', (e) => e.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('message', (e) => {
  const req = e.data as BenchRequest;
  const port = e.ports[0];
  const work = async (): Promise<unknown> => {
    switch (req.type) {
      case 'put':
        return put(req.op);
      case 'fetchAll':
        return fetchAll(req.ops, req.concurrency);
      default:
        throw new Error(`floor side: unknown request ${req.type}`);
    }
  };
  e.waitUntil(
    work().then(
      (result) => port?.postMessage({ ok: true, result: result ?? null }),
      (err: unknown) => port?.postMessage({ ok: false, error: String(err) }),
    ),
  );
});
