/**
 * A model-based (property) test of delivery, run over every store: random
 * enqueues over a few lanes; documents saved with coalescing enqueues,
 * edited, removed and saved again by a client that timed out, also while
 * their sends have an unknown outcome; sends answered ok, retryable with and
 * without `Retry-After`, 409 in progress, permanent, thrown,
 * applied-then-dropped or never answered; the network going away under sends;
 * clock jumps and lease expiries; crashes (a new Outbox and SyncWorker over
 * the same store, under the same runner name or another, with or without a
 * runner lock: with one, the new runner takes the dead one's leases back
 * under the lock, as a service worker's does); retry (one, or all
 * of a lane) and removal of dead letters; corrupt records. After every step
 * the invariants a user relies on are checked (the server's side in
 * modelServer.ts, the app's edits in modelEdits.ts), and at the end a healthy
 * server and running time must settle every op, and every document the app
 * kept must hold its last edit.
 *
 * fast-check prints the seed and the shrunk steps of a failure; set
 * `FERRY_PROPERTY_RUNS` for more runs and `FERRY_PROPERTY_SEED` to replay one.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { NetworkProbe } from '../NetworkProbe.ts';
import type { Operation } from '../Operation.ts';
import { Outbox } from '../outbox/Outbox.ts';
import type { OutboxStore } from '../OutboxStore.ts';
import { memoryLocks } from '../sync/runnerLock.ts';
import { SyncWorker } from '../SyncWorker.ts';
import { VirtualClock } from './VirtualClock.ts';
import { ModelEdits } from './modelEdits.ts';
import { ModelServer } from './modelServer.ts';
import type { Step } from './modelSteps.ts';
import { LANES, mortal, step } from './modelSteps.ts';

/** How the model opens storage: `open` again must see the same data (a restart); `corrupt` writes a raw record. */
export interface ModelHarness {
  open(): Promise<OutboxStore>;
  /** Absent: the run has no corruption steps. */
  corrupt?(id: string, raw: Record<string, unknown>): Promise<void>;
}

/** The environment where there is one (Node); the model also runs in browsers. */
const env: Record<string, string | undefined> =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

const MAX_ATTEMPTS = 4;

/** One runner's life: its store (which dies with it) and its worker. */
interface Generation {
  n: number;
  outbox: Outbox;
  worker: SyncWorker;
  kill: () => void;
}

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
async function settle(turns = 6): Promise<void> {
  for (let i = 0; i < turns; i++) await turn();
}

/** Runs the model over `harness` `runs` times (more with FERRY_PROPERTY_RUNS). */
export async function deliveryModel(harness: () => ModelHarness, runs: number): Promise<void> {
  const numRuns = Number(env['FERRY_PROPERTY_RUNS'] ?? runs);
  const seed = env['FERRY_PROPERTY_SEED'];
  const path = env['FERRY_PROPERTY_PATH'];
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 80 }), fc.boolean(), async (steps, locked) =>
      runModel(harness(), steps, locked),
    ),
    {
      numRuns,
      ...(seed !== undefined && { seed: Number(seed) }),
      ...(path !== undefined && { path }),
      endOnFailure: true,
    },
  );
}

/** A 4xx the server stored: a retry must take a new key (a 409 "still running" is not one). */
const is4xx = (op: Operation): boolean => {
  const status = op.lastError?.status ?? 0;
  return status >= 400 && status < 500 && !(status === 409 && op.lastError?.retryable === true);
};

/** `locked`: the runners share one lock (the loop a service worker runs); otherwise the model stands in for it. */
async function runModel(harness: ModelHarness, steps: readonly Step[], locked: boolean): Promise<void> {
  const clock = new VirtualClock();
  const locks = locked ? memoryLocks() : undefined;
  const baseStore = await harness.open();
  const trace = env['FERRY_PROPERTY_TRACE'] ? (...a: unknown[]) => console.log(...a) : () => {};
  const server = new ModelServer(clock, trace);
  const { spendable, earliest, violations } = server;
  const lastAttempt = new Map<string, number>();
  const enqueued: string[] = [];
  const corrupted = new Set<string>();
  const removed = new Set<string>();
  const edits = new ModelEdits(
    LANES,
    server,
    (id) => enqueued.push(id),
    (id) => removed.add(id),
  );
  let online = true;
  let gen: Generation | undefined;
  /** Lease tokens of the ops dead runners had in flight. */
  const deadLeases = new Set<number>();

  const start = async (n: number, owner: string): Promise<Generation> => {
    const { store, kill } = mortal(n === 0 ? baseStore : await harness.open());
    const outbox = new Outbox({ store, clock, retry: { maxAttempts: MAX_ATTEMPTS } });
    const probe = new NetworkProbe(() => online);
    const worker = new SyncWorker({
      outbox,
      transport: server.transport(n),
      probe,
      clock,
      timers: clock,
      owner,
      onError: () => {},
      ...(locks && { lock: { locks: () => locks, name: 'ferry-runner' } }),
    });
    // The new runner holds the lock: whatever is in flight belongs to the dead one, and is charged
    // at most once, as a send whose outcome is unknown.
    for (const op of await outbox.list({ status: 'inflight', limit: 100_000 })) {
      if (op.leaseToken !== undefined) deadLeases.add(op.leaseToken);
      server.bump(op.id);
      earliest.delete(op.id);
    }
    // With the lock, the worker takes them back itself, once the dead one let the lock go.
    if (!locks) await outbox.delivery.requeueOrphans(worker.live);
    void worker.start();
    return { n, outbox, worker, kill };
  };

  /** The app retried `ops` (dead letters as they were): fresh budgets, a new key after a 4xx only, a new order segment. */
  const retried = (before: readonly Operation[], after: readonly Operation[]): void => {
    for (const op of after) {
      const was = before.find((o) => o.id === op.id) as Operation;
      if ((op.idempotencyKey !== was.idempotencyKey) !== is4xx(was))
        violations.push(`retry of ${op.id} after ${was.lastError?.status} chose the wrong key`);
      // The app's retry starts the op afresh: the last Retry-After it was told no longer binds it.
      earliest.delete(op.id);
      spendable.set(op.id, 0);
      lastAttempt.set(op.id, 0);
      // A dead letter goes again after ops that were behind it: order holds from here on.
      server.appliedSeqs.set(op.lane, []);
    }
  };

  const checkInvariants = async (): Promise<Operation[]> => {
    expect(violations).toEqual([]);
    const ops = await (gen as Generation).outbox.list({ limit: 100_000 });
    for (const [lane, seqs] of server.appliedSeqs) {
      expect(
        seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number)),
        `lane ${lane} applied out of enqueue order: ${seqs.join(',')}`,
      ).toBe(true);
    }
    for (const op of ops) {
      expect(op.attempt, `${op.id} attempt past the budget`).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(op.attempt, `${op.id} attempt decreased`).toBeGreaterThanOrEqual(lastAttempt.get(op.id) ?? 0);
      lastAttempt.set(op.id, op.attempt);
      // Only the server's answers (and lease ends, deaths on the wire) spend attempts.
      expect(
        op.attempt,
        `${op.id} spent more attempts than answers: ${JSON.stringify(op.lastError)}`,
      ).toBeLessThanOrEqual(spendable.get(op.id) ?? 0);
      if (op.status === 'failed') {
        edits.taint(op.id);
        expect(
          op.lastError?.retryable === false || op.attempt >= MAX_ATTEMPTS,
          `${op.id} failed by unreachability alone: ${op.lastError?.message}`,
        ).toBe(true);
      }
    }
    return ops;
  };

  gen = await start(0, 'runner');
  for (const s of steps) {
    const g = gen;
    trace('step', JSON.stringify(s));
    switch (s.t) {
      case 'enqueue': {
        const op = await g.outbox.enqueue({
          kind: 'k',
          target: '/x',
          lane: LANES[s.lane] as string,
          payload: { n: enqueued.length },
        });
        enqueued.push(op.id);
        break;
      }
      case 'save':
      case 'edit':
      case 'remove':
        await edits[s.t](g.outbox, s.doc);
        break;
      case 'repeat':
        await edits.repeat(g.outbox, s.pick);
        break;
      case 'answer': {
        const live = server.live(g.n);
        const req = live[s.pick % Math.max(1, live.length)];
        if (req) server.answer(req, s.how);
        break;
      }
      case 'advance':
        clock.advance(s.ms);
        break;
      case 'net':
        online = s.online;
        break;
      case 'crash': {
        g.kill();
        // What the dead runner had on the wire may have reached the server, or not; it records nothing either way.
        for (const req of server.live(g.n)) server.answer(req, s.reachedServer ? 'appliedThenDropped' : 'none');
        await settle();
        const next = await start(g.n + 1, s.sameName ? 'runner' : `runner-${g.n + 1}`);
        void g.worker.stop();
        gen = next;
        break;
      }
      case 'retry':
      case 'removeFailed': {
        const failed = await g.outbox.list({ status: 'failed' });
        const op = failed[s.pick % Math.max(1, failed.length)];
        if (!op) break;
        if (s.t === 'removeFailed') {
          await g.outbox.remove(op.id);
          removed.add(op.id);
          edits.taint(op.id);
        } else if (s.all) retried(failed, await g.outbox.retry({ lane: op.lane }));
        else retried(failed, [await g.outbox.retry(op.id)]);
        break;
      }
      case 'corrupt': {
        if (!harness.corrupt) break;
        const pending = await g.outbox.list({ status: 'pending' });
        const op = pending[s.pick % Math.max(1, pending.length)];
        if (!op) break;
        corrupted.add(op.id);
        edits.taint(op.id);
        // Its content turns unreadable; the index keys stay as they were, so the queries still meet it.
        // The head is the lane's first *active* op: its done and failed ops come before it in seq order.
        // (A head that lost its due key too would be met only when its lane is next read, by an enqueue
        // to it: IdbStore reads through indexes, and no index would list it as due.)
        const head =
          (await g.outbox.list({ lane: op.lane })).find((o) => o.status === 'pending' || o.status === 'inflight')
            ?.id === op.id;
        await harness.corrupt(op.id, {
          id: op.id,
          v: 99,
          lane: op.lane,
          laneKey: [op.lane, op.seq],
          ...(head && { dueKey: [op.nextAttemptAt, op.seq] }),
          statusKey: ['pending', op.seq],
          seq: op.seq,
        });
        break;
      }
    }
    // The host wakes its worker after every request of a page.
    if (s.t !== 'answer' && s.t !== 'advance') void g.worker.wake();
    await settle();
    await checkInvariants();
  }

  // The server is healthy, the network back, and time runs on: every op ends done or failed (or was
  // removed, or moved aside), and every document the app kept holds its last edit.
  server.healthy = true;
  online = true;
  void gen.worker.wake();
  for (const req of server.live(gen.n)) server.answer(req, 'ok');
  if (locks) {
    // With the clock still, a dead runner's lease cannot end: only the drain under the lock takes it back.
    const leftDead = async (): Promise<string[]> =>
      (await gen.outbox.list({ status: 'inflight', limit: 100_000 }))
        .filter((op) => op.leaseToken !== undefined && deadLeases.has(op.leaseToken))
        .map((op) => op.id);
    for (let i = 0; i < 100 && (await leftDead()).length > 0; i++) await turn();
    expect(await leftDead(), 'leases of dead runners not taken back under the lock').toEqual([]);
  }
  let ops: Operation[] = [];
  for (let i = 0; i < 400; i++) {
    await settle();
    ops = await checkInvariants();
    if (ops.every((o) => o.status === 'done' || o.status === 'failed')) break;
    const next = (await gen.outbox.delivery.nextWakeAt()) ?? clock.now() + 1000;
    clock.set(Math.max(clock.now() + 1, Math.min(next, clock.now() + 60_000)));
  }
  const open = ops.filter((o) => o.status !== 'done' && o.status !== 'failed');
  expect(
    open.map((o) => `${o.id}:${o.status}:${o.nextAttemptAt - clock.now()}`),
    'ops left unsettled with a healthy server',
  ).toEqual([]);
  // Every op enqueued is accounted for: settled, removed by the app, or moved aside as corrupt.
  const settled = new Set(ops.map((o) => o.id));
  expect(enqueued.filter((id) => !settled.has(id) && !corrupted.has(id) && !removed.has(id))).toEqual([]);
  expect(edits.finalProblems(ops), 'documents that lost an edit').toEqual([]);
  if (env['FERRY_PROPERTY_STATS']) {
    const stats = {
      steps: steps.length,
      ops: enqueued.length,
      applied: server.appliedKeys.size,
      sends: server.sendCount,
      generations: gen.n + 1,
    };
    console.log(JSON.stringify(stats));
  }
  await gen.worker.stop();
}
