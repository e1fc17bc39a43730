/**
 * A model-based (property) test of delivery, run over every store: random
 * enqueues over a few lanes; sends answered ok, retryable with and without
 * `Retry-After`, 409 in progress, permanent, thrown, applied-then-dropped or
 * never answered; clock jumps and lease expiries; crashes (a new Outbox and
 * SyncWorker over the same store, under the same runner name or another);
 * retry and discard of dead letters; corrupt records. After every step the
 * invariants a user relies on are checked, and at the end a healthy server
 * and running time must settle every op.
 *
 * fast-check prints the seed and the shrunk steps of a failure; set
 * `FERRY_PROPERTY_RUNS` for more runs and `FERRY_PROPERTY_SEED` to replay one.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Operation } from '../Operation.ts';
import { Outbox } from '../Outbox.ts';
import type { OutboxStore, OutboxTx, TxMode } from '../OutboxStore.ts';
import { SyncWorker } from '../SyncWorker.ts';
import type { SendContext, SendResult, Transport } from '../Transport.ts';
import { VirtualClock } from './VirtualClock.ts';

/** How the model opens storage: `open` again must see the same data (a restart); `corrupt` writes a raw record. */
export interface ModelHarness {
  open(): Promise<OutboxStore>;
  /** Absent: the run has no corruption steps. */
  corrupt?(id: string, raw: Record<string, unknown>): Promise<void>;
}

/** The environment where there is one (Node); the model also runs in browsers. */
const env: Record<string, string | undefined> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

const MAX_ATTEMPTS = 4;
const LANES = ['a', 'b', 'c'];

type Answer = 'ok' | '503' | '429' | '409' | '400' | 'none' | 'throw' | 'appliedThenDropped';

type Step =
  | { t: 'enqueue'; lane: number }
  | { t: 'answer'; pick: number; how: Answer }
  | { t: 'advance'; ms: number }
  | { t: 'crash'; sameName: boolean; reachedServer: boolean }
  | { t: 'retry'; pick: number }
  | { t: 'discard'; pick: number }
  | { t: 'corrupt'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('enqueue' as const), lane: fc.nat(LANES.length - 1) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('answer' as const),
      pick: fc.nat(7),
      how: fc.constantFrom<Answer>('ok', 'ok', '503', '429', '409', '400', 'none', 'throw', 'appliedThenDropped'),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.constantFrom(1, 500, 5_000, 30_000, 61_000, 3_600_000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), sameName: fc.boolean(), reachedServer: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('retry' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('discard' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('corrupt' as const), pick: fc.nat(7) }) },
);

interface Request {
  op: Operation;
  gen: number;
  resolve: (r: SendResult) => void;
  reject: (err: unknown) => void;
}

/** One runner's life: its store (which dies with it) and its worker. */
interface Generation {
  n: number;
  outbox: Outbox;
  worker: SyncWorker;
  kill: () => void;
}

/** A store that refuses every transaction once its runner is dead: a dead process writes nothing. */
function mortal(store: OutboxStore): { store: OutboxStore; kill: () => void } {
  let dead = false;
  return {
    store: {
      transaction<T>(mode: TxMode, fn: (tx: OutboxTx) => Promise<T>): Promise<T> {
        return dead ? Promise.reject(new Error('runner is dead')) : store.transaction(mode, fn);
      },
      close: () => store.close(),
    },
    kill: () => (dead = true),
  };
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
    fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 80 }), async (steps) => runModel(harness(), steps)),
    { numRuns, ...(seed !== undefined && { seed: Number(seed) }), ...(path !== undefined && { path }), endOnFailure: true },
  );
}

async function runModel(harness: ModelHarness, steps: readonly Step[]): Promise<void> {
  const clock = new VirtualClock();
  const baseStore = await harness.open();
  const requests: Request[] = [];
  /** Server side: keys applied, and per lane the seqs of first applications, in order. */
  const appliedKeys = new Set<string>();
  const appliedSeqs = new Map<string, number[]>();
  /** Per op: what may have spent an attempt (answers, lease ends, deaths on the wire), since its last retry. */
  const spendable = new Map<string, number>();
  const earliest = new Map<string, number>();
  const lastAttempt = new Map<string, number>();
  const enqueued: string[] = [];
  const corrupted = new Set<string>();
  const discarded = new Set<string>();
  const violations: string[] = [];
  let sendCount = 0;
  let gen: Generation | undefined;
  let healthy = false;

  const trace = env['FERRY_PROPERTY_TRACE'] ? (...a: unknown[]) => console.log(...a) : () => {};
  const bump = (id: string): void => void spendable.set(id, (spendable.get(id) ?? 0) + 1);
  const apply = (op: Operation): void => {
    if (appliedKeys.has(op.idempotencyKey)) return;
    appliedKeys.add(op.idempotencyKey);
    const seqs = appliedSeqs.get(op.lane) ?? [];
    seqs.push(op.seq);
    appliedSeqs.set(op.lane, seqs);
  };

  const transport = (n: number): Transport => ({
    send(op: Operation, ctx: SendContext): Promise<SendResult> {
      sendCount++;
      trace('send', op.id, n, op.attempt, op.leaseToken);
      const now = clock.now();
      // Checked here, reported by the next step's check: an exception would only become a failed send.
      if (now < op.nextAttemptAt) violations.push(`sent ${op.id} ${op.nextAttemptAt - now} ms before its nextAttemptAt`);
      if (now < (earliest.get(op.id) ?? -Infinity)) violations.push(`sent ${op.id} before its Retry-After`);
      const live = requests.filter((r) => r.gen === n);
      if (live.some((r) => r.op.id === op.id)) violations.push(`${op.id} on the wire twice at once`);
      if (live.some((r) => r.op.lane === op.lane)) violations.push(`two ops of lane ${op.lane} on the wire at once`);
      if (healthy && appliedKeys.has(op.idempotencyKey)) {
        bump(op.id);
        return Promise.resolve({ ok: true, status: 200 });
      }
      return new Promise<SendResult>((resolve, reject) => {
        const req: Request = { op, gen: n, resolve, reject };
        requests.push(req);
        // The lease ended (or the runner stopped): fetch rejects, nothing came back.
        ctx.signal.addEventListener('abort', () => answer(req, 'none', true), { once: true });
        if (healthy) answer(req, 'ok');
      });
    },
  });

  const answer = (req: Request, how: Answer, aborted = false): void => {
    const i = requests.indexOf(req);
    if (i === -1) return;
    trace('answer', req.op.id, req.gen, how, aborted);
    requests.splice(i, 1);
    const { op } = req;
    // A key the server already applied is replayed as the stored success, whatever else happens now.
    const replay = appliedKeys.has(op.idempotencyKey) && how !== 'none' && how !== 'appliedThenDropped' && how !== 'throw';
    // A replay is the server's answer whatever `how` says (a 409 included): a success, which spends an attempt.
    if (aborted || replay) bump(op.id);
    else if (how !== 'none' && how !== '409') bump(op.id);
    if (replay || how === 'ok') {
      apply(op);
      return req.resolve({ ok: true, status: 200 });
    }
    const now = clock.now();
    switch (how) {
      case '503':
        return req.resolve({ ok: false, retryable: true, status: 503, error: 'HTTP 503' });
      case '429':
        earliest.set(op.id, now + 5_000);
        return req.resolve({ ok: false, retryable: true, status: 429, retryAfterMs: 5_000, error: 'HTTP 429' });
      case '409':
        earliest.set(op.id, now + 1_000);
        return req.resolve({ ok: false, retryable: true, free: true, status: 409, retryAfterMs: 1_000, error: 'HTTP 409: still running' });
      case '400':
        return req.resolve({ ok: false, retryable: false, status: 400, error: 'HTTP 400' });
      case 'throw':
        return req.reject(new Error('transport bug'));
      case 'appliedThenDropped':
        apply(op);
        return req.resolve({ ok: false, retryable: true, unanswered: true, free: true, error: 'network error: connection reset' });
      case 'none':
        return req.resolve({ ok: false, retryable: true, unanswered: true, free: true, error: 'network error: Failed to fetch' });
    }
  };

  const start = async (n: number, owner: string): Promise<Generation> => {
    const { store, kill } = mortal(n === 0 ? baseStore : await harness.open());
    const outbox = new Outbox({ store, clock, retry: { maxAttempts: MAX_ATTEMPTS } });
    const worker = new SyncWorker({ outbox, transport: transport(n), clock, timers: clock, owner, onError: () => {} });
    // The new runner holds the lock: whatever is in flight belongs to the dead one, and is charged
    // once, as a send whose outcome is unknown.
    for (const op of await outbox.list({ status: 'inflight', limit: 100_000 })) {
      bump(op.id);
      earliest.delete(op.id);
    }
    await outbox.requeueOrphans(worker.live);
    worker.start();
    return { n, outbox, worker, kill };
  };

  const checkInvariants = async (): Promise<Operation[]> => {
    expect(violations).toEqual([]);
    const ops = await (gen as Generation).outbox.list({ limit: 100_000 });
    for (const [lane, seqs] of appliedSeqs) {
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
      expect(op.attempt, `${op.id} spent more attempts than answers: ${JSON.stringify(op.lastError)}`).toBeLessThanOrEqual(spendable.get(op.id) ?? 0);
      if (op.status === 'failed') {
        expect(op.lastError?.retryable === false || op.attempt >= MAX_ATTEMPTS, `${op.id} failed by unreachability alone: ${op.lastError?.message}`).toBe(true);
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
        const op = await g.outbox.enqueue({ kind: 'k', target: '/x', lane: LANES[s.lane] as string, payload: { n: enqueued.length } });
        enqueued.push(op.id);
        // The host wakes its worker after every enqueue.
        g.worker.wake();
        break;
      }
      case 'answer': {
        const live = requests.filter((r) => r.gen === g.n);
        const req = live[s.pick % Math.max(1, live.length)];
        if (req) answer(req, s.how);
        break;
      }
      case 'advance':
        clock.advance(s.ms);
        break;
      case 'crash': {
        g.kill();
        // What the dead runner had on the wire may have reached the server, or not; it records nothing either way.
        for (const req of requests.filter((r) => r.gen === g.n)) answer(req, s.reachedServer ? 'appliedThenDropped' : 'none');
        await settle();
        const next = await start(g.n + 1, s.sameName ? 'runner' : `runner-${g.n + 1}`);
        void g.worker.stop();
        gen = next;
        break;
      }
      case 'retry':
      case 'discard': {
        const failed = await g.outbox.list({ status: 'failed' });
        const op = failed[s.pick % Math.max(1, failed.length)];
        if (!op) break;
        if (s.t === 'retry') {
          await g.outbox.retry(op.id);
          // The app's retry starts the op afresh: the last Retry-After it was told no longer binds it.
          earliest.delete(op.id);
          spendable.set(op.id, 0);
          lastAttempt.set(op.id, 0);
          g.worker.wake();
        } else {
          await g.outbox.discard(op.id);
          discarded.add(op.id);
        }
        break;
      }
      case 'corrupt': {
        if (!harness.corrupt) break;
        const pending = await g.outbox.list({ status: 'pending' });
        const op = pending[s.pick % Math.max(1, pending.length)];
        if (!op) break;
        corrupted.add(op.id);
        // Its content turns unreadable; the index keys stay as they were, so the queries still meet it.
        // The head is the lane's first *active* op: its done and failed ops come before it in seq order.
        // (A head that lost its due key too would be met only when its lane is next read, by an enqueue
        // to it: IdbStore reads through indexes, and no index would list it as due.)
        const head = (await g.outbox.list({ lane: op.lane })).find((o) => o.status === 'pending' || o.status === 'inflight')?.id === op.id;
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
    await settle();
    await checkInvariants();
  }

  // The server is healthy and time runs on: every op ends done or failed (or was discarded, or moved aside).
  healthy = true;
  for (const req of requests.filter((r) => r.gen === gen.n)) answer(req, 'ok');
  let ops: Operation[] = [];
  for (let i = 0; i < 400; i++) {
    await settle();
    ops = await checkInvariants();
    if (ops.every((o) => o.status === 'done' || o.status === 'failed')) break;
    const next = (await gen.outbox.nextWakeAt()) ?? clock.now() + 1000;
    clock.set(Math.max(clock.now() + 1, Math.min(next, clock.now() + 60_000)));
  }
  const open = ops.filter((o) => o.status !== 'done' && o.status !== 'failed');
  expect(
    open.map((o) => `${o.id}:${o.status}:${o.nextAttemptAt - clock.now()}`),
    'ops left unsettled with a healthy server',
  ).toEqual([]);
  // Every op enqueued is accounted for: settled, discarded by the test, or moved aside as corrupt.
  const settled = new Set(ops.map((o) => o.id));
  expect(enqueued.filter((id) => !settled.has(id) && !corrupted.has(id) && !discarded.has(id))).toEqual([]);
  if (env['FERRY_PROPERTY_STATS'])
    console.log(JSON.stringify({ steps: steps.length, ops: enqueued.length, applied: appliedKeys.size, sends: sendCount, generations: gen.n + 1 }));
  await gen.worker.stop();
}
