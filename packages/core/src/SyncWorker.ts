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
  /** Most ops claimed per tick. @default 32 */
  batchLimit?: number;
  /** Sends in flight at once, each from a different lane. @default 6 */
  concurrency?: number;
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
  readonly #o: Required<Pick<SyncWorkerOptions, 'batchLimit' | 'concurrency' | 'leaseMs' | 'offlineRecheckMs' | 'errorBackoffMs'>>;
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
      leaseMs: options.leaseMs ?? 60_000,
      offlineRecheckMs: options.offlineRecheckMs ?? 10_000,
      errorBackoffMs: options.errorBackoffMs ?? 1_000,
    };
    if (!(this.#o.batchLimit >= 1 && this.#o.concurrency >= 1)) throw new RangeError('batchLimit and concurrency must be >= 1');
  }

  /**
   * One round, as in the seed: requeue expired leases, check the probe, claim
   * up to `batchLimit` ready ops (lane heads, oldest due first), send them
   * with up to `concurrency` at once, record each outcome.
   * @returns how many ops were attempted
   */
  async tick(now = this.#clock.now()): Promise<number> {
    if (!this.#probe.isOnline()) return 0;
    // The claim returns expired leases to pending first, in its own transaction.
    const claimed = await this.#outbox.claim(this.owner, this.#o.batchLimit, this.#o.leaseMs, now);
    let next = 0;
    const lanes = Array.from({ length: Math.min(this.#o.concurrency, claimed.length) }, async () => {
      while (next < claimed.length) await this.#deliver(claimed[next++] as Operation, now);
    });
    await Promise.all(lanes);
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
    const queue: Operation[] = [];
    let attempted = 0;
    let inFlight = 0;
    let refill: Promise<number> | undefined;
    const waiting: (() => void)[] = [];
    const settled = (): void => waiting.splice(0).forEach((wake) => wake());
    const claimMore = (): Promise<number> =>
      (refill ??= this.#outbox
        .claim(this.owner, Math.max(1, this.#o.batchLimit - queue.length - inFlight), this.#o.leaseMs, this.#clock.now())
        .then((ops) => {
          queue.push(...ops);
          attempted += ops.length;
          return ops.length;
        })
        .finally(() => (refill = undefined)));
    const slot = async (): Promise<void> => {
      while (this.#probe.isOnline() && !this.#abort.signal.aborted) {
        const op = queue.shift();
        if (op) {
          inFlight++;
          try {
            await this.#deliver(op, this.#clock.now());
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
    return attempted;
  }

  async #deliver(op: Operation, tickNow: number): Promise<void> {
    const result = await this.#send(op);
    // Outcomes are stamped when they arrive: a Retry-After counts from the response, not the tick.
    const now = Math.max(tickNow, this.#clock.now());
    try {
      if (result.ok) await this.#outbox.complete(op.id, this.owner, now);
      else {
        const stopped = this.#abort.signal.aborted;
        await this.#outbox.fail(op.id, this.owner, stopped ? { ...result, free: true } : result, !this.#probe.isOnline(), now);
      }
    } catch (err) {
      // E.g. the lease ended and another runner took the op back: its outcome is theirs to record.
      this.#onError(err);
    }
  }

  async #send(op: Operation): Promise<SendResult> {
    try {
      return await this.#transport.send(op, { signal: this.#abort.signal });
    } catch (err) {
      return { ok: false, retryable: true, error: `transport threw: ${err instanceof Error ? err.message : String(err)}` };
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
