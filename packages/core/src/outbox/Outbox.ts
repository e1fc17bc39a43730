import { nanoid } from 'nanoid';
import { FerryError } from '../FerryError.ts';
import type { Operation, OperationInput, OperationStatus } from '../Operation.ts';
import { OPERATION_STATUSES } from '../Operation.ts';
import type { ListQuery, OutboxStore, OutboxTx, QuarantinedRecord } from '../OutboxStore.ts';
import type { Clock, Random } from '../Platform.ts';
import { systemClock, systemRandom } from '../Platform.ts';
import type { RetryPolicyOptions } from '../RetryPolicy.ts';
import { RetryPolicy } from '../RetryPolicy.ts';
import { Wal } from '../Wal.ts';
import { toOperation } from '../lib/records.ts';
import type { ValidInput } from '../lib/validateInput.ts';
import { validateInput, validatePatch } from '../lib/validateInput.ts';
import type { OpPatch } from '../state/edit.ts';
import { drop, remove, update } from '../state/edit.ts';
import type { Change } from '../state/lane.ts';
import type { RetryFilter } from '../state/retry.ts';
import { retryAll, retryFailed } from '../state/retry.ts';
import { Delivery } from './Delivery.ts';
import { GroupCommit } from './GroupCommit.ts';

export type { ClaimRequest } from '../state/claim.ts';
export type { Exchange, ExchangeResult, SendFacts, Settlement } from '../state/exchange.ts';
export type { Change } from '../state/lane.ts';
export type { Claimed } from '../state/settle.ts';

const DISCARD_PAGE = 200;
const COMPACT_CHUNK = 500;
/** The meta key under which the store keeps the last compaction's time. */
const LAST_COMPACTION = 'lastCompactionAt';

export interface OutboxOptions {
  store: OutboxStore;
  /** The retry policy, or options over its defaults. @default RETRY_DEFAULTS */
  retry?: Partial<RetryPolicyOptions> | RetryPolicy;
  /** The only source of time for every change the Outbox and its Delivery make. @default systemClock */
  clock?: Clock;
  /** Feeds retry jitter. @default systemRandom */
  random?: Random;
  /** The app's origin; absolute targets on it are allowed. @default none: only paths and `allowedOrigins` */
  origin?: string;
  /** Further origins targets may point at. @default [] */
  allowedOrigins?: readonly string[];
  /** @default 262144 (256 KiB of JSON) */
  maxPayloadBytes?: number;
  /** Most ops one group commit writes. @default 1000 */
  maxBatch?: number;
}

/**
 * The durable queue of operations, with the app's verbs: every change is one
 * transaction over the outbox row and its WAL record. Methods resolve after
 * commit. The runner's verbs (claims, outcomes, requeues) are its
 * {@link delivery}'s.
 */
export class Outbox {
  readonly store: OutboxStore;
  readonly policy: RetryPolicy;
  readonly wal: Wal;
  /** The runner's side of this queue: claims, outcomes, requeues, releases, the next wake. */
  readonly delivery: Delivery;
  readonly #clock: Clock;
  readonly #rules: Parameters<typeof validateInput>[1];
  readonly #listeners = new Set<(change: Change) => void>();
  readonly #commits: GroupCommit;
  /** Until when (this Outbox's clock) the stored last compaction is known to be recent: no read before then. */
  #compactedUntil: { from: number; until: number } | undefined;

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
    this.delivery = new Delivery({
      store: this.store,
      policy: this.policy,
      clock: this.#clock,
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
   * Deletes every pending and failed op of `user` (a sign-out that discards),
   * a page per transaction. Ops in flight are left to settle: they were sent
   * with that user's credentials. Resolves with how many were deleted.
   * @param ids only these ops (a sign-out's ops whose send has settled since); one of them
   *   in flight again rejects with `invalid-state` and nothing is deleted. @default every op of `user`
   */
  async discardUser(user: string, ids?: readonly string[]): Promise<number> {
    if (ids) {
      const now = this.#clock.now();
      const gone = await this.#change(async (tx) => {
        const recs = await Promise.all(ids.map((id) => tx.getOp(id)));
        const changes: Change[] = [];
        for (const rec of recs) if (rec?.user === user && rec.status !== 'done') changes.push(await drop(tx, rec, now));
        return changes;
      });
      return gone.length;
    }
    let total = 0;
    for (const status of ['pending', 'failed'] as const) {
      for (;;) {
        const now = this.#clock.now();
        const page = await this.#change(async (tx) => {
          // From the lane's end, so that no removal promotes an op the next one deletes.
          const recs = (await tx.listOps({ status, user, limit: DISCARD_PAGE })).reverse();
          const changes: Change[] = [];
          for (const rec of recs) changes.push(await drop(tx, rec, now));
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
  retry(id: string): Promise<Operation>;
  /**
   * Retries, as a retry of one id does, every dead letter `filter` picks, in
   * their enqueue order and in one transaction. Resolves with the retried ops.
   * @param filter `lane`, `user` and `ids` narrow it (all given must match); ids not failed are skipped.
   *   `{}` retries every dead letter.
   */
  retry(filter: RetryFilter): Promise<Operation[]>;
  retry(target: string | RetryFilter): Promise<Operation | Operation[]> {
    const now = this.#clock.now();
    if (typeof target === 'string') return this.#one((tx) => retryFailed(tx, target, now, () => nanoid()));
    return this.#change((tx) => retryAll(tx, target, now, () => nanoid())).then((cs) => cs.map((c) => c.op));
  }

  /**
   * Removes an op that was never sent, or a failed one: it is deleted in one
   * transaction (a `remove` WAL record) and never sent (again). An op that
   * may have reached the server (in flight, or sent before: see
   * `Operation.possiblyDelivered`) rejects with `possibly-delivered`, a done
   * op with `invalid-state`, an unknown id with `not-found`; nothing changes.
   * Resolves with the op as it was.
   */
  remove(id: string): Promise<Operation> {
    const now = this.#clock.now();
    return this.#one((tx) => remove(tx, id, now));
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
  async update(id: string, patch: OpPatch): Promise<Operation> {
    const valid = validatePatch(patch, this.#rules);
    const now = this.#clock.now();
    return this.#one((tx) => update(tx, id, valid, now));
  }

  /**
   * Removes done ops and WAL records older than `retentionMs`. Queued ops are
   * never touched. Deletes `chunk` records per transaction, each short, so
   * enqueues are never held behind one long walk.
   */
  async compact(retentionMs: number, chunk = COMPACT_CHUNK): Promise<{ ops: number; records: number }> {
    if (!(retentionMs >= 0)) throw new FerryError('invalid-operation', 'retentionMs must be >= 0');
    const before = this.#clock.now() - retentionMs;
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
   * does not walk the done ops at each start. The store is read once per
   * `everyMs` at most: until then the time read (or written) answers.
   * @returns what was removed, or undefined when it was not yet time
   */
  async compactIfDue(retentionMs: number, everyMs: number): Promise<{ ops: number; records: number } | undefined> {
    const now = this.#clock.now();
    // What this Outbox read or wrote last still answers: a wake after each enqueue costs no transaction.
    const known = this.#compactedUntil;
    if (known && known.from <= now && now < known.until) return undefined;
    const last = await this.store.transaction('readonly', (tx) => tx.getMeta(LAST_COMPACTION));
    if (typeof last === 'number' && now - last < everyMs && last <= now) {
      this.#compactedUntil = { from: last, until: last + everyMs };
      return undefined;
    }
    await this.store.transaction('readwrite', (tx) => tx.putMeta(LAST_COMPACTION, now));
    this.#compactedUntil = { from: now, until: now + everyMs };
    return this.compact(retentionMs);
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
