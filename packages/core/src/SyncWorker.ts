import { nanoid } from 'nanoid';
import { FerryError } from './FerryError.ts';
import { NetworkProbe } from './NetworkProbe.ts';
import { SharedExchange } from './lib/SharedExchange.ts';
import { DrainLoop, MAX_TIMER_MS } from './sync/DrainLoop.ts';
import type { RunnerLock } from './sync/runnerLock.ts';
import { drainUnder } from './sync/runnerLock.ts';
import { sendBatch, sendOne } from './sync/send.ts';
import type { Operation } from './Operation.ts';
import type { Delivery } from './outbox/Delivery.ts';
import type { Outbox, Settlement } from './outbox/Outbox.ts';
import type { Clock, Timers } from './Platform.ts';
import { systemClock, systemTimers } from './Platform.ts';
import type { SendResult, Transport } from './Transport.ts';

export interface SyncWorkerOptions {
  outbox: Outbox;
  transport: Transport;
  /** @default a probe that always says online */
  probe?: NetworkProbe;
  /** Names this runner in leases. @default `worker-` + a random id */
  owner?: string;
  /** Most lanes (their head, or a batch) claimed per tick. @default 32 */
  batchLimit?: number;
  /** Sends in flight at once, each from a different lane. @default 6 */
  concurrency?: number;
  /**
   * Most ops of one lane sent in one exchange, through the transport's
   * `sendBatch` (required when above 1). A lane's ops still go out one
   * exchange at a time, in enqueue order. @default 1
   */
  batchSize?: number;
  /**
   * How long a claim holds an op before another runner may take it back. It
   * starts right before the send and must outlast the transport's timeout
   * (hooks included); the send's signal aborts when it ends. @default 60000
   */
  leaseMs?: number;
  /**
   * The lock the app's runners share (Web Locks: `{ locks: () => navigator.locks, name: names.lock }`). With a
   * lock manager each drain of the loop holds it and first takes back every lease not on this runner's wire;
   * without one the loop drains unlocked and leaves other runners' leases to expire. @default none (unlocked)
   */
  lock?: RunnerLock;
  /** While offline with work due, how often to look again without a signal. @default 10000 */
  offlineRecheckMs?: number;
  /** After an unexpected error (storage unavailable...), wait this long. @default 1000 */
  errorBackoffMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemTimers */
  timers?: Timers;
  /** Told about unexpected errors; recoverable send failures are op state, not errors. @default ignore them */
  onError?: (err: unknown) => void;
}

/**
 * Sends ready ops and records their outcomes.
 * `tick` does one round; `start` runs rounds while work is due and sleeps
 * until the next op is due (or `wake` is called) on the injected timers.
 */
export class SyncWorker {
  readonly owner: string;
  readonly #delivery: Delivery;
  readonly #transport: Transport;
  readonly #probe: NetworkProbe;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #o: Required<
    Pick<
      SyncWorkerOptions,
      'batchLimit' | 'concurrency' | 'batchSize' | 'leaseMs' | 'offlineRecheckMs' | 'errorBackoffMs'
    >
  >;
  readonly #onError: (err: unknown) => void;
  readonly #lock: RunnerLock | undefined;
  #loop: DrainLoop | undefined;
  #abort = new AbortController();
  #unsubscribeProbe: (() => void) | undefined;
  readonly #live = new Set<number>();
  readonly #shared: SharedExchange;
  /** The next claim takes back every lease not in `live` first (see {@link SyncWorker.drain}). */
  #orphans = false;

  constructor(options: SyncWorkerOptions) {
    this.#delivery = options.outbox.delivery;
    this.#transport = options.transport;
    this.#probe = options.probe ?? new NetworkProbe();
    this.owner = options.owner ?? `worker-${nanoid(10)}`;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#onError = options.onError ?? (() => {});
    this.#lock = options.lock;
    this.#o = {
      batchLimit: options.batchLimit ?? 32,
      concurrency: options.concurrency ?? 6,
      batchSize: options.batchSize ?? 1,
      leaseMs: options.leaseMs ?? 60_000,
      offlineRecheckMs: options.offlineRecheckMs ?? 10_000,
      errorBackoffMs: options.errorBackoffMs ?? 1_000,
    };
    if (!(this.#o.batchLimit >= 1 && this.#o.concurrency >= 1 && this.#o.batchSize >= 1)) {
      throw new FerryError('invalid-config', 'batchLimit, concurrency and batchSize must be >= 1');
    }
    if (!(this.#o.leaseMs > 0)) throw new FerryError('invalid-config', 'leaseMs must be > 0');
    if (this.#o.batchSize > 1 && typeof this.#transport.sendBatch !== 'function') {
      throw new FerryError('invalid-config', 'batchSize above 1 needs a transport with sendBatch');
    }
    this.#shared = new SharedExchange({
      delivery: this.#delivery,
      timers: this.#timers,
      live: this.#live,
      onError: (err) => this.#onError(err),
      stopped: () => this.#abort.signal.aborted,
      claim: (lanes) => {
        const orphans = this.#orphans;
        this.#orphans = false;
        return {
          owner: this.owner,
          lanes,
          leaseMs: this.#o.leaseMs,
          perLane: this.#o.batchSize,
          live: this.#live,
          pausedUntil: this.#pausedUntil,
          holds: this.#holds,
          ...(orphans && { orphans }),
        };
      },
    });
  }

  /**
   * One round: requeue expired leases, check the probe, then
   * send up to `batchLimit` ready lanes (their heads, oldest due first, or
   * batches) with up to `concurrency` at once, each claimed right before its
   * send, and record each outcome.
   * @returns how many ops were attempted
   */
  async tick(): Promise<number> {
    if (!this.#probe.isOnline()) {
      // Offline, nothing is sent; leases that ended are still given back first.
      await this.#delivery.requeueExpired(this.#live);
      return 0;
    }
    return this.#rounds(this.#o.batchLimit);
  }

  /**
   * Sends until nothing is ready: a send slot that frees up claims its next
   * lane at once (a completed op may promote the next of its lane) instead
   * of waiting for the others. Stops when offline, when stopped, or when
   * nothing is claimable and nothing is in flight. With `orphans` (the
   * caller holds the runner lock), every lease not on this runner's wire
   * goes back first, in the transaction of the first claim, or on its own
   * when no claim is made (offline, stopped).
   * @returns how many ops were attempted
   */
  async drain(options: { orphans?: boolean } = {}): Promise<number> {
    this.#orphans = options.orphans === true;
    try {
      return await this.#rounds(Infinity);
    } finally {
      if (this.#orphans) {
        this.#orphans = false;
        await this.#delivery.requeueOrphans(this.#live);
      }
    }
  }

  /** Lease tokens of this runner's sends now on the wire: no claim of its own ever requeues them. */
  get live(): ReadonlySet<number> {
    return this.#live;
  }

  /**
   * Runs `concurrency` send slots until `lanes` lanes were claimed or nothing
   * is left. Each slot claims one lane right before it sends it, and records
   * the outcome together with its next claim; concurrent slots share those
   * transactions (see {@link Outbox.exchange}).
   */
  async #rounds(lanes: number): Promise<number> {
    let budget = lanes;
    let attempted = 0;
    let inFlight = 0;
    const waiting: (() => void)[] = [];
    const settled = (): void => waiting.splice(0).forEach((wake) => wake());
    const take = (): boolean => {
      if (!this.#probe.isOnline() || this.#abort.signal.aborted || budget <= 0) return false;
      budget--;
      return true;
    };
    // Claims the slot's next lane, in the same transaction as the outcome it records, if any.
    const next = async (settlement?: Settlement): Promise<Operation[] | undefined> => {
      const want = take();
      const run = await this.#shared.request(settlement, want);
      if (want && !run) budget++;
      return run;
    };
    const slot = async (): Promise<void> => {
      let run = await next();
      for (;;) {
        if (run) {
          attempted += run.length;
          inFlight++;
          run = await next(await this.#deliver(run));
          inFlight--;
          settled();
          continue;
        }
        if (inFlight === 0 || budget <= 0 || !this.#probe.isOnline() || this.#abort.signal.aborted) return;
        // Nothing claimable now, but a send in flight may promote the next op of its lane.
        await new Promise<void>((resolve) => waiting.push(resolve));
        run = await next();
      }
    };
    await Promise.all(Array.from({ length: this.#o.concurrency }, slot));
    return attempted;
  }

  readonly #pausedUntil = (op: Operation, now: number): number | undefined => this.#transport.pausedUntil?.(op, now);
  readonly #holds = (op: Operation): string | undefined => this.#transport.holds?.(op);

  /**
   * Sends one lane's claimed run (one op, or a batch) under its lease: the
   * send's signal aborts when the lease ends or the worker stops, and a run
   * whose lease already ended is not sent at all.
   */
  async #deliver(run: readonly Operation[]): Promise<Settlement> {
    const leaseUntil = Math.min(...run.map((op) => op.leaseUntil ?? Infinity));
    const left = leaseUntil - this.#clock.now();
    // Stopped while the claim committed, or the lease already over: nothing goes on the wire.
    if (!(left > 0) || this.#abort.signal.aborted) return { run, results: [], facts: { stopped: true } };
    this.#shared.markOnWire(run);
    const lease = new AbortController();
    const onStop = (): void => lease.abort();
    this.#abort.signal.addEventListener('abort', onStop);
    const timer = Number.isFinite(left)
      ? this.#timers.setTimeout(() => lease.abort(), Math.min(left, MAX_TIMER_MS))
      : undefined;
    let results: SendResult[];
    try {
      const only = run.length === 1 ? run[0] : undefined;
      results = only
        ? [await sendOne(this.#transport, only, lease.signal)]
        : await sendBatch(this.#transport, run, lease.signal);
    } finally {
      if (timer !== undefined) this.#timers.clearTimeout(timer);
      this.#abort.signal.removeEventListener('abort', onStop);
    }
    const stopped = this.#abort.signal.aborted;
    if (lease.signal.aborted && !stopped) {
      // The lease ran out on the wire: the outcome is unknown, as when a runner dies mid-send.
      results = results.map((r) =>
        r.ok
          ? r
          : {
              ok: false,
              retryable: true,
              unanswered: true,
              error: `no answer before the lease ended (${this.#o.leaseMs} ms)`,
            },
      );
    }
    return { run, results, facts: { offline: !this.#probe.isOnline(), stopped } };
  }

  /** Starts the run loop (a `DrainLoop` over `drain`, under `lock`) unless it runs, and wakes it (see `wake`). */
  start(): Promise<void> {
    if (!this.#loop) {
      if (this.#abort.signal.aborted) this.#abort = new AbortController();
      this.#loop = new DrainLoop({
        drain: () => drainUnder(this.#lock, this.#abort.signal, (o) => this.drain(o)),
        nextWakeAt: () => this.#delivery.nextWakeAt(),
        isOnline: () => this.#probe.isOnline(),
        offlineRecheckMs: this.#o.offlineRecheckMs,
        errorBackoffMs: this.#o.errorBackoffMs,
        clock: this.#clock,
        timers: this.#timers,
        onError: (err) => this.#onError(err),
      });
      this.#unsubscribeProbe = this.#probe.onOnline(() => void this.wake());
    }
    return this.#loop.wake();
  }

  /** Stops the loop, gives up a waiting lock request, aborts sends (spending no attempt), awaits the drain. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    if (!loop) return;
    this.#loop = undefined;
    this.#unsubscribeProbe?.();
    this.#abort.abort();
    await loop.close();
  }

  /**
   * Asks the loop to look for work now (a kick, `online`, a `sync` event; the probe's online signal wakes it too).
   * Resolves once that drain has ended and the next wake is set (at once when stopped); never rejects.
   */
  wake(): Promise<void> {
    return this.#loop?.wake() ?? Promise.resolve();
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }
}
