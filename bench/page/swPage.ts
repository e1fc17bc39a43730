/**
 * The page of the service-worker scenarios. Each side (Ferry, workbox, the
 * floor) is served on its own origin; `?side=` says which one this page
 * drives. The Node runner calls `window.swBench` through page.evaluate and
 * does the statistics; every function returns raw samples (ms).
 */
import { createFerryClient } from '@ferry/client';
import type { ChangeSummary } from '@ferry/client';
import type { BenchOp, BenchReply, BenchRequest } from './wire.ts';
import { benchOps } from './wire.ts';

type Side = 'ferry' | 'workbox' | 'floor';
const side = (new URLSearchParams(location.search).get('side') ?? 'ferry') as Side;

/** Long enough for a whole drain awaited by `syncNow`. */
const client = side === 'ferry' ? createFerryClient({ timeoutMs: 600_000, forwardEvents: false }) : undefined;

/** One request to this side's worker over a fresh MessageChannel, as Ferry's client does. */
function post(body: BenchRequest | { bench: string; open?: boolean }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (e: MessageEvent<BenchReply>) => {
      port1.close();
      if (e.data.ok) resolve(e.data.result);
      else reject(new Error(e.data.error));
    };
    const sw = navigator.serviceWorker.controller;
    if (!sw) return reject(new Error('no controlling service worker'));
    sw.postMessage(body, [port2]);
  });
}

/** Durable on this side: Ferry's enqueue, workbox's pushRequest, or the floor's put. */
function enqueue(op: BenchOp): Promise<unknown> {
  if (client)
    return client.enqueue({
      id: op.id,
      kind: 'message.send',
      target: op.target,
      lane: op.lane,
      idempotencyKey: op.key,
      payload: op.payload,
    });
  return post(side === 'workbox' ? { type: 'push', op } : { type: 'put', op });
}

let tagN = 0;
const tag = (what: string): string => `${what}${Date.now().toString(36)}${tagN++}`;

async function timeEach(ops: BenchOp[], fn: (op: BenchOp) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (const op of ops) {
    const t = performance.now();
    await fn(op);
    out.push(performance.now() - t);
  }
  return out;
}

/** The ops queued by the last `queue`/`burst`, which the floor's drain sends. */
let queued: BenchOp[] = [];

export const swBench = {
  side,

  async ready(): Promise<void> {
    // `?trace`, `?batch` and `?relaxed` on this page go on to the worker's script URL.
    const page = new URLSearchParams(location.search);
    const flags = ['trace', 'batch', 'relaxed'].filter((f) => page.has(f)).join('&');
    const script = `/sw-${side}.js${flags ? `?${flags}` : ''}`;
    if (client) await client.register(script, { scope: '/' });
    else await navigator.serviceWorker.register(script, { scope: '/' });
    await navigator.serviceWorker.ready;
    // Each worker claims its clients on activation: wait until it controls this page.
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    }
  },

  /** `n` enqueues awaited one at a time (one lane per op, as in a burst). Samples in ms. */
  async latency(n: number, lanes = 16): Promise<number[]> {
    const ops = benchOps(n + 1, lanes, tag('lat'));
    await enqueue(ops[0] as BenchOp); // warm up
    const samples = await timeEach(ops.slice(1), enqueue);
    queued = ops;
    return samples;
  },

  /** `n` enqueues at once, each acknowledged when durable. Total ms. */
  async burst(n: number, lanes: number): Promise<number> {
    const ops = benchOps(n, lanes, tag('burst'));
    await enqueue(benchOps(1, 1, tag('warm'))[0] as BenchOp);
    const t = performance.now();
    await Promise.all(ops.map(enqueue));
    const ms = performance.now() - t;
    queued = ops;
    return ms;
  },

  /** Queues `n` ops in chunks of `chunk` (untimed set-up). */
  async fill(n: number, lanes: number, chunk = 1000): Promise<number> {
    const t = performance.now();
    const ops = benchOps(n, lanes, tag('fill'));
    for (let i = 0; i < n; i += chunk) await Promise.all(ops.slice(i, i + chunk).map(enqueue));
    queued = ops;
    return performance.now() - t;
  },

  /** Sends everything queued: Ferry's runner, workbox's replayRequests, or the floor's raw fetches. Total ms. */
  async drain(concurrency = 6): Promise<number> {
    const t = performance.now();
    if (client) {
      await post({ bench: 'gate', open: true });
      await client.syncNow();
    } else if (side === 'workbox') await post({ type: 'replay' });
    else await post({ type: 'fetchAll', ops: queued, concurrency });
    const ms = performance.now() - t;
    if (client) await post({ bench: 'gate', open: false });
    return ms;
  },

  /** Ferry only: opens the gate and times until `k` ops are done, then closes it. ms. */
  async drainFirst(k: number): Promise<number> {
    if (!client) throw new Error('drainFirst is for the Ferry side');
    let done = 0;
    let finish!: () => void;
    const reached = new Promise<void>((r) => (finish = r));
    const off = client.subscribe((c: ChangeSummary) => {
      if (c.op.status === 'done' && ++done === k) finish();
    });
    const t = performance.now();
    await post({ bench: 'gate', open: true });
    await client.kick();
    await reached;
    const ms = performance.now() - t;
    await post({ bench: 'gate', open: false });
    off();
    return ms;
  },

  /** Ferry only: opens the gate, drains everything, closes it. Resolves with the stats. */
  async drainAll(): Promise<{ ms: number; stats: unknown }> {
    if (!client) throw new Error('drainAll is for the Ferry side');
    const t = performance.now();
    await post({ bench: 'gate', open: true });
    const stats = await client.syncNow();
    const ms = performance.now() - t;
    await post({ bench: 'gate', open: false });
    return { ms, stats };
  },

  /**
   * Cold start: the worker is stopped with ops queued; this wakes it the way a
   * page does (Ferry: its gate, then a kick; workbox: `replayRequests`, what
   * its `sync` handler runs at start) without waiting for the drain.
   * Resolves with the wall-clock ms just before the first message, which the
   * runner compares with the server's first arrival.
   */
  async wakeCold(): Promise<number> {
    const t = Date.now();
    if (client) {
      void post({ bench: 'gate', open: true });
      void client.kick();
    } else if (side === 'workbox') void post({ type: 'replay' });
    return t;
  },

  /** Ferry `?trace` only: the worker's timing breakdown since the last call. */
  trace(): Promise<unknown> {
    return post({ bench: 'trace' });
  },

  async stats(): Promise<unknown> {
    return client?.stats();
  },
};

declare global {
  interface Window {
    swBench: typeof swBench;
  }
}

window.swBench = swBench;
document.title = 'ready';
