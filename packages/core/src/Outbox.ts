import { FerryError } from './FerryError.ts';
import type { Operation, OperationInput, OperationStatus } from './Operation.ts';
import type { ListQuery, OutboxStore, OutboxTx, QuarantinedRecord } from './OutboxStore.ts';
import type { Clock, Random } from './Platform.ts';
import { systemClock, systemRandom } from './Platform.ts';
import type { RetryPolicyOptions } from './RetryPolicy.ts';
import { RetryPolicy } from './RetryPolicy.ts';
import type { SendResult } from './Transport.ts';
import { Wal } from './Wal.ts';
import { toOperation } from './lib/records.ts';
import { settleBatch } from './lib/settleBatch.ts';
import type { Change } from './lib/transitions.ts';
import * as t from './lib/transitions.ts';
import type { ValidInput } from './lib/validateInput.ts';
import { validateInput } from './lib/validateInput.ts';

export type { Change } from './lib/transitions.ts';

export interface OutboxOptions {
  store: OutboxStore;
  retry?: Partial<RetryPolicyOptions> | RetryPolicy;
  clock?: Clock;
  /** Feeds retry jitter. */
  random?: Random;
  /** The app's origin; absolute targets on it are allowed. */
  origin?: string;
  /** Further origins targets may point at. @default [] */
  allowedOrigins?: readonly string[];
  /** @default 262144 (256 KiB of JSON) */
  maxPayloadBytes?: number;
  /** Most ops one group commit writes. @default 1000 */
  maxBatch?: number;
}

interface Waiter {
  input: ValidInput;
  resolve: (op: Operation) => void;
  reject: (err: unknown) => void;
}

/**
 * The durable queue of operations: every change is one transaction over the
 * outbox row and its WAL record. Methods resolve after commit.
 */
export class Outbox {
  readonly store: OutboxStore;
  readonly policy: RetryPolicy;
  readonly wal: Wal;
  readonly #clock: Clock;
  readonly #rules: Parameters<typeof validateInput>[1];
  readonly #maxBatch: number;
  readonly #listeners = new Set<(change: Change) => void>();
  #queue: Waiter[] = [];
  #flushing = false;

  constructor(options: OutboxOptions) {
    this.store = options.store;
    this.#clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandom;
    this.policy = options.retry instanceof RetryPolicy ? options.retry : new RetryPolicy(options.retry, random);
    this.wal = new Wal(this.store);
    this.#rules = {
      allowedOrigins: options.allowedOrigins ?? [],
      maxPayloadBytes: options.maxPayloadBytes ?? 256 * 1024,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
    };
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  /**
   * Validates and persists an op. Resolves with the stored op only after its
   * transaction has committed; a rejected enqueue wrote nothing. Concurrent
   * calls share one transaction (group commit), each acknowledged after it.
   */
  enqueue(input: OperationInput): Promise<Operation> {
    let valid: ValidInput;
    try {
      valid = validateInput(input, this.#rules);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ input: valid, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // One microtask lets every enqueue of the current task join the batch.
        queueMicrotask(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      let batch = this.#queue.splice(0, this.#maxBatch);
      const now = this.#clock.now();
      try {
        const { changes } = await this.store.transaction('readwrite', (tx) =>
          t.insert(
            tx,
            batch.map((w) => w.input),
            now,
          ),
        );
        changes.forEach((c, i) => {
          const waiter = batch[i] as Waiter;
          if (c instanceof FerryError) waiter.reject(c);
          else waiter.resolve(c.op);
        });
        this.#emit(changes.filter((c): c is Change => !(c instanceof FerryError)));
      } catch (err) {
        if (err instanceof t.StoredDuplicates) {
          // Nothing was written: refuse the duplicates, and the rest goes again at the front.
          const dups = batch.filter((w) => err.ids.has(w.input.id));
          for (const w of dups) w.reject(new FerryError('duplicate-id', `an operation with id ${JSON.stringify(w.input.id)} is already stored`));
          batch = batch.filter((w) => !err.ids.has(w.input.id));
          this.#queue.unshift(...batch);
          continue;
        }
        for (const w of batch) w.reject(err);
      }
    }
    this.#flushing = false;
  }

  async get(id: string): Promise<Operation | undefined> {
    const rec = await this.store.transaction('readonly', (tx) => tx.getOp(id));
    return rec && toOperation(rec);
  }

  /** Ops in enqueue order. */
  async list(query: ListQuery = {}): Promise<Operation[]> {
    const recs = await this.store.transaction('readonly', (tx) => tx.listOps(query));
    return recs.map(toOperation);
  }

  stats(): Promise<Record<OperationStatus, number>> {
    return this.store.transaction('readonly', (tx) => tx.countByStatus());
  }

  quarantined(limit = 100): Promise<QuarantinedRecord[]> {
    return this.store.transaction('readonly', (tx) => tx.quarantined(limit));
  }

  /**
   * Claims up to `limit` ready lane heads for `owner`, oldest due first, each
   * with up to `perLane - 1` due ops right behind it in its lane (a batch).
   * Expired leases are returned to `pending` first, in the same transaction.
   * The ops of one lane come together, in enqueue order.
   */
  claim(owner: string, limit: number, leaseMs: number, now = this.#clock.now(), perLane = 1): Promise<Operation[]> {
    return this.#change((tx) => t.claim(tx, owner, limit, leaseMs, this.policy, now, perLane)).then((cs) =>
      cs.filter((c) => c.type === 'claim').map((c) => c.op),
    );
  }

  complete(id: string, owner: string, now = this.#clock.now()): Promise<Operation> {
    return this.#one((tx) => t.complete(tx, id, owner, now));
  }

  /** Records a failed send; see the RetryPolicy section of the spec. */
  fail(id: string, owner: string, result: SendResult, offline = false, now = this.#clock.now()): Promise<Operation> {
    return this.#one((tx) => t.recordFailure(tx, id, owner, { result, offline }, this.policy, now));
  }

  /**
   * Records the answers to one batch send in one transaction: `results[i]`
   * answers `ids[i]`, and a missing result means the server never got to it.
   * The leading successes are done, the first failure counts as a single
   * send's would, and the ops behind it return to their lane unspent.
   * Resolves with the ops after the change, in batch order.
   */
  settleBatch(
    ids: readonly string[],
    owner: string,
    results: readonly (SendResult | undefined)[],
    offline = false,
    now = this.#clock.now(),
  ): Promise<Operation[]> {
    return this.#change((tx) => settleBatch(tx, ids, owner, results, offline, this.policy, now)).then((cs) => cs.map((c) => c.op));
  }

  /** Returns expired leases to `pending` (the seed's `requeue_inflight_older_than`). */
  requeueExpired(now = this.#clock.now(), limit = 500): Promise<Operation[]> {
    return this.#change(async (tx) => t.requeueLeased(tx, await tx.expiredLeases(now, limit), this.policy, now)).then((cs) =>
      cs.map((c) => c.op),
    );
  }

  /**
   * Returns every in-flight op not leased by `owner` to `pending`. Only call it
   * while holding the runner lock: then any other lease belongs to a runner
   * that is gone.
   */
  requeueOrphans(owner: string, now = this.#clock.now(), limit = 500): Promise<Operation[]> {
    return this.#change(async (tx) => {
      const orphans = (await tx.inflight(limit)).filter((r) => r.leaseOwner !== owner);
      return t.requeueLeased(tx, orphans, this.policy, now);
    }).then((cs) => cs.map((c) => c.op));
  }

  /** Puts a failed op back in its lane with a fresh attempt budget. */
  retry(id: string, now = this.#clock.now()): Promise<Operation> {
    return this.#one((tx) => t.retryFailed(tx, id, now));
  }

  /** Deletes a pending, failed or done op. Resolves with the op as it was. */
  discard(id: string, now = this.#clock.now()): Promise<Operation> {
    return this.#one((tx) => t.discard(tx, id, now));
  }

  /** The earliest time work becomes due: a pending head's `nextAttemptAt` or a lease end. */
  nextWakeAt(): Promise<number | undefined> {
    return this.store.transaction('readonly', async (tx) => {
      const [due, lease] = await Promise.all([tx.nextDueAt(), tx.nextLeaseEnd()]);
      if (due === undefined) return lease;
      return lease === undefined ? due : Math.min(due, lease);
    });
  }

  /** Removes done ops and WAL records older than `retentionMs`. Queued ops are never touched. */
  compact(retentionMs: number, now = this.#clock.now()): Promise<{ ops: number; records: number }> {
    if (!(retentionMs >= 0)) return Promise.reject(new FerryError('invalid-operation', 'retentionMs must be >= 0'));
    const before = now - retentionMs;
    return this.store.transaction('readwrite', async (tx) => ({
      ops: await tx.deleteDoneBefore(before),
      records: await tx.deleteWalBefore(before),
    }));
  }

  /** Sees every committed change; returns a cleanup. */
  subscribe(fn: (change: Change) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  async #change(fn: (tx: OutboxTx) => Promise<Change[]>): Promise<Change[]> {
    const changes = await this.store.transaction('readwrite', fn);
    this.#emit(changes);
    return changes;
  }

  async #one(fn: (tx: OutboxTx) => Promise<Change>): Promise<Operation> {
    const [change] = await this.#change(async (tx) => [await fn(tx)]);
    return (change as Change).op;
  }

  #emit(changes: readonly Change[]): void {
    for (const change of changes) {
      for (const fn of this.#listeners) {
        try {
          fn(change);
        } catch {
          // A listener's bug must not undo a committed change or stop the others.
        }
      }
    }
  }
}
