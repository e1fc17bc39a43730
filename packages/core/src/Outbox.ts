import { nanoid } from 'nanoid';
import { FerryError } from './FerryError.ts';
import type { Operation, OperationInput, OperationStatus, ServerAnswer } from './Operation.ts';
import { OPERATION_STATUSES } from './Operation.ts';
import type { ListQuery, OutboxStore, OutboxTx, QuarantinedRecord } from './OutboxStore.ts';
import type { Clock, Random } from './Platform.ts';
import { systemClock, systemRandom } from './Platform.ts';
import type { RetryPolicyOptions } from './RetryPolicy.ts';
import { RetryPolicy } from './RetryPolicy.ts';
import type { SendResult } from './Transport.ts';
import { Wal } from './Wal.ts';
import { HELD_DUE } from './lib/lanes.ts';
import { toOperation } from './lib/records.ts';
import type { ValidInput } from './lib/validateInput.ts';
import { GroupCommit } from './lib/GroupCommit.ts';
import { validateInput, validatePatch } from './lib/validateInput.ts';
import { settleBatch } from './state/batch.ts';
import type { ClaimOptions } from './state/claim.ts';
import { claim } from './state/claim.ts';
import type { OpPatch } from './state/edit.ts';
import { cancel, discard, update } from './state/edit.ts';
import { release } from './state/hold.ts';
import type { Change } from './state/lane.ts';
import type { RetryFilter } from './state/retry.ts';
import { retryAll, retryFailed } from './state/retry.ts';
import type { ClaimRequest, ExchangeResult, SendFacts, Settlement } from './state/exchange.ts';
import { exchange } from './state/exchange.ts';
import type { Claimed } from './state/settle.ts';
import { complete, recordFailure, requeueLeased } from './state/settle.ts';

export type { ClaimOptions } from './state/claim.ts';
export type { ClaimRequest, ExchangeResult, SendFacts, Settlement } from './state/exchange.ts';
export type { Change } from './state/lane.ts';
export type { Claimed } from './state/settle.ts';

const ORPHAN_PAGE = 500;
const DISCARD_PAGE = 200;
const COMPACT_CHUNK = 500;
/** The ops a claim's changes claimed (the others are requeues, defers, holds and fails). */
const claimsOf = (changes: readonly Change[]): Operation[] =>
  changes.filter((c) => c.type === 'claim').map((c) => c.op);
/** The meta key under which the store keeps the last compaction's time. */
const LAST_COMPACTION = 'lastCompactionAt';

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
  readonly #listeners = new Set<(change: Change) => void>();
  readonly #commits: GroupCommit;

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
    this.#commits = new GroupCommit({
      store: this.store,
      clock: this.#clock,
      maxBatch: options.maxBatch ?? 1000,
      maxPayloadBytes: this.#rules.maxPayloadBytes,
      emit: (changes) => this.#emit(changes),
    });
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
    return this.#commits.add(valid);
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

  /**
   * Counts by status. With a `user`, only that user's ops: read from the
   * status index and filtered, so it costs a read of each op counted.
   */
  stats(query: { user?: string } = {}): Promise<Record<OperationStatus, number>> {
    const { user } = query;
    if (user === undefined) return this.store.transaction('readonly', (tx) => tx.countByStatus());
    return this.store.transaction('readonly', async (tx) => {
      const counts = await Promise.all(
        OPERATION_STATUSES.map(
          async (status) => [status, (await tx.listOps({ status, user, limit: Infinity })).length] as const,
        ),
      );
      return Object.fromEntries(counts) as Record<OperationStatus, number>;
    });
  }

  /**
   * Releases the held lane heads `match` picks (their user's credentials
   * came): each is due again at its own `nextAttemptAt`. Wake the worker after.
   */
  release(match: (op: Operation) => boolean, now = this.#clock.now()): Promise<Operation[]> {
    return this.#change((tx) => release(tx, match, now)).then((cs) => cs.map((c) => c.op));
  }

  /**
   * Deletes every pending and failed op of `user` (a sign-out that discards),
   * a page per transaction. Ops in flight are left to settle: they were sent
   * with that user's credentials. Resolves with how many were deleted.
   */
  async discardUser(user: string, now = this.#clock.now()): Promise<number> {
    let total = 0;
    for (const status of ['pending', 'failed'] as const) {
      for (;;) {
        const page = await this.#change(async (tx) => {
          // From the lane's end, so that no discard promotes an op the next one deletes.
          const recs = (await tx.listOps({ status, user, limit: DISCARD_PAGE })).reverse();
          const changes: Change[] = [];
          for (const rec of recs) changes.push(await discard(tx, rec.id, now));
          return changes;
        });
        total += page.length;
        if (page.length < DISCARD_PAGE) break;
      }
    }
    return total;
  }

  quarantined(limit = 100): Promise<QuarantinedRecord[]> {
    return this.store.transaction('readonly', (tx) => tx.quarantined(limit));
  }

  /**
   * Claims up to `limit` ready lane heads for `owner`, oldest due first, each
   * with up to `perLane - 1` due ops right behind it in its lane (a batch).
   * Expired leases are returned to `pending` first, in the same transaction,
   * except those in `options.live`. A claim is a send: each claimed op is
   * marked `possiblyDelivered` for good, and carries its `leaseToken`: hand
   * the op back to {@link complete}, {@link fail} or {@link settleBatch}.
   * The ops of one lane come together, in enqueue order. A batch never
   * carries an op past `maxAgeMs` behind its head.
   */
  claim(
    owner: string,
    limit: number,
    leaseMs: number,
    now = this.#clock.now(),
    perLane = 1,
    options: ClaimOptions = {},
  ): Promise<Operation[]> {
    const claimed = (tx: OutboxTx) => claim(tx, owner, limit, leaseMs, this.policy, now, perLane, options);
    return this.#change(async (tx) => (await claimed(tx)).changes).then(claimsOf);
  }

  /**
   * Marks a claimed op done. `claimed` is the op as the claim returned it:
   * only that claim may, and it must present its `leaseToken`
   * (`invalid-argument` without one; `lease-superseded` for a claim that no
   * longer holds the op).
   */
  complete(claimed: Claimed, now = this.#clock.now(), answer?: ServerAnswer): Promise<Operation> {
    return this.#one((tx) => complete(tx, claimed, now, answer));
  }

  /**
   * Records a failed send of a claimed op (see the RetryPolicy section of the
   * spec); `claimed` must present its `leaseToken`, as for {@link complete}.
   */
  fail(claimed: Claimed, result: SendResult, facts: SendFacts = {}, now = this.#clock.now()): Promise<Operation> {
    return this.#one((tx) => recordFailure(tx, claimed, { ...facts, result }, this.policy, now));
  }

  /**
   * Records the answers to one batch send in one transaction: `results[i]`
   * answers `run[i]` (the ops as claimed), and a missing result means the
   * server never got to it. The leading successes are done, the first
   * failure counts as a single send's would, and the ops behind it return
   * to their lane unspent. Resolves with the ops after the change, in batch order.
   */
  settleBatch(
    run: readonly Claimed[],
    results: readonly (SendResult | undefined)[],
    facts: SendFacts = {},
    now = this.#clock.now(),
  ): Promise<Operation[]> {
    return this.#change((tx) => settleBatch(tx, run, results, facts, this.policy, now)).then((cs) =>
      cs.map((c) => c.op),
    );
  }

  /**
   * A runner's round trip in one transaction: marks the sends that started
   * (`onWire`: the ops as claimed; a runner that dies now leaves their outcome
   * unknown, and their requeue spends an attempt), records the outcomes of
   * the sends that settled, then claims what to send next. Concurrent send
   * slots share it, so claiming right before each send costs no transaction
   * of its own. An outcome whose claim was superseded changes nothing: it is
   * returned as its error, and the others go on.
   * @param onWire claims whose send started; one that no longer holds its op is skipped. @default []
   */
  exchange(
    settlements: readonly Settlement[],
    next: ClaimRequest | undefined,
    now = this.#clock.now(),
    onWire: readonly Claimed[] = [],
  ): Promise<ExchangeResult> {
    return this.store
      .transaction('readwrite', (tx) => exchange(tx, settlements, next, onWire, this.policy, now))
      .then(({ settled, claimed }) => {
        // A mark is not news to subscribers: the op stays in flight.
        for (const s of settled) if (!(s instanceof FerryError)) this.#emit(s);
        this.#emit(claimed?.changes ?? []);
        return {
          settled: settled.map((s) => (s instanceof FerryError ? s : s.map((c) => c.op))),
          claimed: (claimed?.changes ?? []).filter((c) => c.type === 'claim').map((c) => c.op),
          more: claimed?.more ?? false,
        };
      });
  }

  /** Returns expired leases to `pending` (the seed's `requeue_inflight_older_than`), except those in `live`. */
  requeueExpired(now = this.#clock.now(), live?: ReadonlySet<number>): Promise<Operation[]> {
    const requeued = (tx: OutboxTx) => claim(tx, '', 0, 0, this.policy, now, 1, live ? { live } : {});
    return this.#change(async (tx) => (await requeued(tx)).changes).then((cs) => cs.map((c) => c.op));
  }

  /**
   * Returns every in-flight op to `pending` except the leases in `live` (the
   * caller's own sends). Only call it while holding the runner lock: then any
   * other lease belongs to a runner that is gone. Reads a page at a time, with
   * no cap: whatever a dead runner had in flight comes back. An op whose send
   * was marked on the wire (see {@link exchange}) spends an attempt; a claim
   * never sent spends nothing.
   */
  async requeueOrphans(live: ReadonlySet<number> = new Set(), now = this.#clock.now()): Promise<Operation[]> {
    const out: Operation[] = [];
    for (;;) {
      const page = await this.#change(async (tx) => {
        const orphans = (await tx.inflight(ORPHAN_PAGE + live.size)).filter(
          (r) => !(r.leaseToken !== undefined && live.has(r.leaseToken)),
        );
        return orphans.length > 0 ? requeueLeased(tx, orphans.slice(0, ORPHAN_PAGE), this.policy, now) : [];
      });
      out.push(...page.map((c) => c.op));
      if (page.length < ORPHAN_PAGE) return out;
    }
  }

  /**
   * Puts a dead letter (a failed op) back in its lane with a fresh attempt
   * budget, and a fresh age: `maxAgeMs` counts from now (`retriedAt`). When
   * its last answer was a 4xx it goes under a new idempotency key, since a
   * deduplicating server stores 4xx answers and would replay the refusal for
   * the old one (a retryable 409, "still running", keeps the key: that
   * request may yet be applied). It keeps its place in its lane (its `seq`,
   * ahead of the ops queued after it) when no op of the lane is in flight;
   * otherwise it queues behind the lane's ops. An op that is not failed
   * rejects with `invalid-state`.
   */
  retry(id: string, now = this.#clock.now()): Promise<Operation> {
    return this.#one((tx) => retryFailed(tx, id, now, () => nanoid()));
  }

  /**
   * Retries, as {@link retry} does each, every dead letter `filter` picks, in
   * their enqueue order and in one transaction. Resolves with the retried ops.
   * @param filter `lane`, `user` and `ids` narrow it (all given must match); ids not failed are skipped.
   *   @default {} (every dead letter)
   */
  retryAll(filter: RetryFilter = {}, now = this.#clock.now()): Promise<Operation[]> {
    return this.#change((tx) => retryAll(tx, filter, now, () => nanoid())).then((cs) => cs.map((c) => c.op));
  }

  /**
   * Cancels an op that was never sent: it is deleted in one transaction (a
   * `cancel` WAL record) and never sent. An op that may have reached the
   * server (in flight, or sent before: see `Operation.possiblyDelivered`)
   * rejects with `possibly-delivered` and a done op with `invalid-state`;
   * nothing changes. Resolves with the op as it was.
   */
  cancel(id: string, now = this.#clock.now()): Promise<Operation> {
    return this.#one((tx) => cancel(tx, id, now));
  }

  /**
   * Edits an op that was never sent: `patch` replaces its `kind`, `target`,
   * `method` or `payload` (whole), validated like an enqueue; it keeps its
   * id, key, place in its lane and state (an `update` WAL record). The op is
   * read and written in one transaction, so an edit racing a coalescing
   * enqueue loses neither. An op that may have reached the server (in
   * flight, or sent before) rejects with `possibly-delivered`: enqueue the
   * edit as a new op instead. A done op rejects with `invalid-state`, a patch
   * that is not clone-safe or makes the op invalid with that error, an
   * unknown id with `not-found`. Nothing changes on a rejection.
   */
  async update(id: string, patch: OpPatch, now = this.#clock.now()): Promise<Operation> {
    const valid = validatePatch(patch, this.#rules);
    return this.#one((tx) => update(tx, id, valid, now));
  }

  /** Deletes a pending, failed or done op. Resolves with the op as it was. */
  discard(id: string, now = this.#clock.now()): Promise<Operation> {
    return this.#one((tx) => discard(tx, id, now));
  }

  /** The earliest time work becomes due: a pending head's `nextAttemptAt` or a lease end. Held heads wait for a release, not a time. */
  nextWakeAt(): Promise<number | undefined> {
    return this.store.transaction('readonly', async (tx) => {
      const [first, lease] = await Promise.all([tx.nextDueAt(), tx.nextLeaseEnd()]);
      const due = first !== undefined && first < HELD_DUE ? first : undefined;
      if (due === undefined) return lease;
      return lease === undefined ? due : Math.min(due, lease);
    });
  }

  /**
   * Removes done ops and WAL records older than `retentionMs`. Queued ops are
   * never touched. Deletes `chunk` records per transaction, each short, so
   * enqueues are never held behind one long walk.
   */
  async compact(
    retentionMs: number,
    now = this.#clock.now(),
    chunk = COMPACT_CHUNK,
  ): Promise<{ ops: number; records: number }> {
    if (!(retentionMs >= 0)) throw new FerryError('invalid-operation', 'retentionMs must be >= 0');
    const before = now - retentionMs;
    const total = { ops: 0, records: 0 };
    for (let n = chunk; n >= chunk;)
      total.ops += n = await this.store.transaction('readwrite', (tx) => tx.deleteDoneBefore(before, chunk));
    for (let n = chunk; n >= chunk;)
      total.records += n = await this.store.transaction('readwrite', (tx) => tx.deleteWalBefore(before, chunk));
    return total;
  }

  /**
   * Compacts (see {@link compact}) unless the last compaction, as recorded
   * in the store, ran less than `everyMs` ago: a worker that starts often
   * does not walk the done ops at each start.
   * @returns what was removed, or undefined when it was not yet time
   */
  async compactIfDue(
    retentionMs: number,
    everyMs: number,
    now = this.#clock.now(),
  ): Promise<{ ops: number; records: number } | undefined> {
    const last = await this.store.transaction('readonly', (tx) => tx.getMeta(LAST_COMPACTION));
    if (typeof last === 'number' && now - last < everyMs && last <= now) return undefined;
    await this.store.transaction('readwrite', (tx) => tx.putMeta(LAST_COMPACTION, now));
    return this.compact(retentionMs, now);
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
