import { nanoid } from 'nanoid';
import { NetworkProbe } from './NetworkProbe.ts';
import type { Operation } from './Operation.ts';
import type { Outbox } from './Outbox.ts';
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
  /** How long a claim holds an op before another runner may take it back. @default 60000 */
  leaseMs?: number;
  /** While offline with work due, how often to look again without a signal. @default 10000 */
  offlineRecheckMs?: number;
  /** After an unexpected error (storage unavailable...), wait this long. @default 1000 */
  errorBackoffMs?: number;
  clock?: Clock;
  timers?: Timers;
  /** Told about unexpected errors; recoverable send failures are op state, not errors. */
  onError?: (err: unknown) => void;
}

/**
 * Sends ready ops and records their outcomes: the seed's `SyncWorker`.
 * `tick` does one round; `start` runs rounds while work is due and sleeps
 * until the next op is due (or `wake` is called) on the injected timers.
 */
export class SyncWorker {
  readonly owner: string;
  readonly #outbox: Outbox;
  readonly #transport: Transport;
  readonly #probe: NetworkProbe;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #o: Required<Pick<SyncWorkerOptions, 'batchLimit' | 'concurrency' | 'batchSize' | 'leaseMs' | 'offlineRecheckMs' | 'errorBackoffMs'>>;
  readonly #onError: (err: unknown) => void;
  #running = false;
  #loop: Promise<void> | undefined;
  #woken = false;
  #wakeSleeper: (() => void) | undefined;
  #abort = new AbortController();
  #unsubscribeProbe: (() => void) | undefined;

  constructor(options: SyncWorkerOptions) {
    this.#outbox = options.outbox;
    this.#transport = options.transport;
    this.#probe = options.probe ?? new NetworkProbe();
    this.owner = options.owner ?? `worker-${nanoid(10)}`;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#onError = options.onError ?? (() => {});
    this.#o = {
      batchLimit: options.batchLimit ?? 32,
      concurrency: options.concurrency ?? 6,
      batchSize: options.batchSize ?? 1,
      leaseMs: options.leaseMs ?? 60_000,
      offlineRecheckMs: options.offlineRecheckMs ?? 10_000,
      errorBackoffMs: options.errorBackoffMs ?? 1_000,
    };
    if (!(this.#o.batchLimit >= 1 && this.#o.concurrency >= 1 && this.#o.batchSize >= 1)) {
      throw new RangeError('batchLimit, concurrency and batchSize must be >= 1');
    }
    if (this.#o.batchSize > 1 && typeof this.#transport.sendBatch !== 'function') {
      throw new RangeError('batchSize above 1 needs a transport with sendBatch');
    }
  }

  /**
   * One round, as in the seed: requeue expired leases, check the probe, claim
   * up to `batchLimit` ready lanes (their heads, oldest due first, or batches),
   * send them with up to `concurrency` at once, record each outcome.
   * @returns how many ops were attempted
   */
  async tick(now = this.#clock.now()): Promise<number> {
    if (!this.#probe.isOnline()) return 0;
    // The claim returns expired leases to pending first, in its own transaction.
    const claimed = await this.#claim(this.#o.batchLimit, now);
    const runs = byLane(claimed);
    let next = 0;
    const slots = Array.from({ length: Math.min(this.#o.concurrency, runs.length) }, async () => {
      while (next < runs.length) await this.#deliver(runs[next++] as Operation[], now);
    });
    await Promise.all(slots);
    return claimed.length;
  }

  /**
   * Sends until nothing is ready: like repeated ticks, but a send slot that
   * frees up is refilled at once (a completed op may promote the next of its
   * lane) instead of waiting for the whole batch. Stops when offline, when
   * stopped, or when nothing is claimable and nothing is in flight.
   * @returns how many ops were attempted
   */
  async drain(): Promise<number> {
    const queue: Operation[][] = [];
    let attempted = 0;
    let inFlight = 0;
    let refill: Promise<number> | undefined;
    const waiting: (() => void)[] = [];
    const settled = (): void => waiting.splice(0).forEach((wake) => wake());
    const claimMore = (): Promise<number> =>
      (refill ??= this.#claim(Math.max(1, this.#o.batchLimit - queue.length - inFlight), this.#clock.now())
        .then((ops) => {
          queue.push(...byLane(ops));
          attempted += ops.length;
          return ops.length;
        })
        .finally(() => (refill = undefined)));
    const slot = async (): Promise<void> => {
      while (this.#probe.isOnline() && !this.#abort.signal.aborted) {
        const run = queue.shift();
        if (run) {
          inFlight++;
          try {
            await this.#deliver(run, this.#clock.now());
          } finally {
            inFlight--;
            settled();
          }
          continue;
        }
        if ((await claimMore()) > 0 || queue.length > 0) continue;
        if (inFlight === 0) return;
        // Nothing claimable now, but a send in flight may promote the next op of its lane.
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    };
    await Promise.all(Array.from({ length: this.#o.concurrency }, slot));
    // Offline or stopped with claims not yet sent: give them back now, unspent, rather than
    // leave them leased (and their lanes blocked) until the lease runs out.
    await Promise.all(queue.splice(0).map((run) => this.#release(run)));
    return attempted;
  }

  /** Returns a claimed run that was never sent to its lane: due now, no attempt spent. */
  async #release(run: readonly Operation[]): Promise<void> {
    try {
      // No results: nothing in the run was attempted.
      await this.#outbox.settleBatch(run.map((op) => op.id), this.owner, []);
    } catch (err) {
      this.#onError(err);
    }
  }

  #claim(lanes: number, now: number): Promise<Operation[]> {
    return this.#outbox.claim(this.owner, lanes, this.#o.leaseMs, now, this.#o.batchSize);
  }

  /** Sends one lane's claimed run (one op, or a batch) and records the outcome. */
  async #deliver(run: readonly Operation[], tickNow: number): Promise<void> {
    const only = run.length === 1 ? run[0] : undefined;
    const results = only ? [await this.#send(only)] : await this.#sendBatch(run);
    // Outcomes are stamped when they arrive: a Retry-After counts from the response, not the tick.
    const now = Math.max(tickNow, this.#clock.now());
    // A send cut short by stop() spends no attempt.
    const stopped = this.#abort.signal.aborted;
    const counted = stopped ? results.map((r) => (r.ok ? r : { ...r, free: true })) : results;
    const offline = !this.#probe.isOnline();
    try {
      if (!only) await this.#outbox.settleBatch(run.map((op) => op.id), this.owner, counted, offline, now);
      else if (counted[0]?.ok) await this.#outbox.complete(only.id, this.owner, now);
      else await this.#outbox.fail(only.id, this.owner, counted[0] as SendResult, offline, now);
    } catch (err) {
      // E.g. the lease ended and another runner took the op back: its outcome is theirs to record.
      this.#onError(err);
    }
  }

  async #send(op: Operation): Promise<SendResult> {
    try {
      return await this.#transport.send(op, { signal: this.#abort.signal });
    } catch (err) {
      return thrown(err);
    }
  }

  async #sendBatch(ops: readonly Operation[]): Promise<SendResult[]> {
    try {
      const results = await this.#transport.sendBatch?.(ops, { signal: this.#abort.signal });
      if (!Array.isArray(results)) return [thrown(new TypeError('sendBatch did not answer with an array'))];
      // No answer even for the first op is that op's failed attempt: otherwise the batch would go again at once, forever.
      if (results[0] === undefined) return [{ ok: false, retryable: true, error: 'the batch answer had no result for its first op' }];
      // A result beyond the batch answers nothing Ferry sent.
      return results.slice(0, ops.length);
    } catch (err) {
      // The exchange failed as a whole: that is the first op's attempt; the rest were not attempted.
      return [thrown(err)];
    }
  }

  /** Starts the run loop. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    this.#unsubscribeProbe = this.#probe.onOnline(() => this.wake());
    this.#loop = this.#run();
  }

  /** Stops the loop and aborts sends in flight (their failures spend no attempt). */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribeProbe?.();
    this.#abort.abort();
    this.wake();
    await this.#loop;
  }

  /** Asks the loop to look for work now (a kick, `online`, a `sync` event...). */
  wake(): void {
    this.#woken = true;
    this.#wakeSleeper?.();
  }

  get running(): boolean {
    return this.#running;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      let delay: number;
      try {
        const attempted = await this.drain();
        if (attempted > 0 || this.#woken) continue;
        delay = await this.#idleDelay();
      } catch (err) {
        this.#onError(err);
        delay = this.#o.errorBackoffMs;
      }
      if (this.#running && !this.#woken) await this.#sleep(delay);
    }
  }

  /** How long to sleep when a tick found nothing to send. */
  async #idleDelay(): Promise<number> {
    const next = await this.#outbox.nextWakeAt();
    if (next === undefined) return Infinity;
    const delay = Math.max(0, next - this.#clock.now());
    // Due work while offline: wait for the online signal, looking again now and then.
    if (delay === 0 && !this.#probe.isOnline()) return this.#o.offlineRecheckMs;
    return delay;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = Number.isFinite(ms) ? this.#timers.setTimeout(() => done(), Math.min(ms, 2 ** 31 - 1)) : undefined;
      const done = (): void => {
        if (handle !== undefined) this.#timers.clearTimeout(handle);
        this.#wakeSleeper = undefined;
        resolve();
      };
      this.#wakeSleeper = done;
    });
  }
}

function thrown(err: unknown): SendResult {
  return { ok: false, retryable: true, error: `transport threw: ${err instanceof Error ? err.message : String(err)}` };
}

/** Groups claimed ops into runs, one per lane, keeping their order (a claim lists a lane's ops together). */
function byLane(ops: readonly Operation[]): Operation[][] {
  const runs = new Map<string, Operation[]>();
  for (const op of ops) {
    const run = runs.get(op.lane);
    if (run) run.push(op);
    else runs.set(op.lane, [op]);
  }
  return [...runs.values()];
}
