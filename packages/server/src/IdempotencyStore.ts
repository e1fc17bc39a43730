/**
 * The storage behind the idempotency layer: one table of keys, each either
 * `running` (claimed, with a lease) or `done` (its answer stored). Both
 * stores Ferry ships run the same SQL (Postgres through `pg`, PGlite
 * embedded); `idempotencyStoreConformance` (`@ferry/server/testing`) checks
 * any implementation.
 *
 * Time is the store's own: a SQL store computes leases and expiry with the
 * database's `now()`, so app instances whose clocks disagree still agree on
 * when a lease ends.
 */

/** An answer as it was first sent, replayed for a repeated key. */
export interface StoredAnswer {
  status: number;
  /** Header pairs in order; hop-by-hop headers and `date` are left out. */
  headers: [string, string][];
  body: Uint8Array;
}

/** Which key, for whom, for what request. */
export interface ClaimInput {
  /** Who the key belongs to (a user or tenant id from the app's verified session). */
  scope: string;
  key: string;
  /** Hash of method, target and payload; the same key with another fingerprint is a misuse (422). */
  fingerprint: string;
  /** A claim lasts this long by the store's clock; after it, a crashed request's key can be claimed again. */
  leaseMs: number;
  /** A stored answer (or a lingering claim) is forgotten this long after the claim, by the store's clock. */
  expiresMs: number;
}

/** Names one claim; only its holder can settle or release it. */
export interface ClaimRef {
  scope: string;
  key: string;
  token: string;
}

export type ClaimResult =
  /** This request holds the key. */
  | { kind: 'claimed'; ref: ClaimRef }
  /**
   * Another request with this key holds it: its lease is live, or its transaction is still open.
   * `retryAfterMs` is what is left of its lease (0 when the lease is over but its transaction is not).
   */
  | { kind: 'running'; fingerprint: string; retryAfterMs: number }
  /** A request with this key completed; its answer is stored. */
  | { kind: 'done'; fingerprint: string; answer: StoredAnswer };

/** A query interface that both `pg` clients and PGlite transactions satisfy. */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

/** What {@link IdempotencyStore.transact}'s work decided. */
export interface Settlement<T> {
  value: T;
  /** Store this answer under the key (`done`); null releases the key instead. */
  answer: StoredAnswer | null;
  /** Roll back the transaction (the work's own writes too), then release the key. */
  rollback?: boolean;
}

/** A key another request holds or completed (as {@link IdempotencyStore.claim} says), or the work's value. */
export type TransactResult<T> = Exclude<ClaimResult, { kind: 'claimed' }> | { kind: 'settled'; value: T };

/** One key as an operator sees it (times are ms since the epoch, by the store's clock). */
export interface KeyRecord {
  scope: string;
  key: string;
  state: 'running' | 'done';
  fingerprint: string;
  leaseUntil: number;
  expiresAt: number;
  /** The stored answer's status; null while running. */
  status: number | null;
}

/** {@link KeyRecord} with the stored answer itself. */
export interface KeyDetail extends KeyRecord {
  answer: StoredAnswer | null;
}

export interface ListOptions {
  /** Only this scope's keys. @default every scope */
  scope?: string;
  /** Only keys in this state. @default both */
  state?: 'running' | 'done';
  /** Keys after this one in `(scope, key)` order: the last record of the previous page. @default from the first */
  after?: { scope: string; key: string };
  /** @default 100 */
  limit?: number;
}

export interface PurgeOptions {
  /** Keys deleted per statement, so no purge holds many rows at once. @default 1_000 */
  batchSize?: number;
  /** Stop after this many batches (a purge run on a schedule then does a bounded amount of work). @default Infinity */
  maxBatches?: number;
}

export interface IdempotencyStore {
  /** Resolves once the store can answer (its schema exists); rejects if it never will. */
  ready?(): Promise<void>;
  /**
   * Atomically claims the key, or says who has it, for an effect made outside the store's database
   * ({@link complete} or {@link release} follow). Never waits for another request's claim or transaction.
   */
  claim(input: ClaimInput): Promise<ClaimResult>;
  /**
   * Claims the key as {@link claim} does and, when this request wins it, runs `work` in one transaction
   * that first locks the claim, then stores its answer or releases the key in the same commit. `work`
   * gets the transaction's {@link Sql}, so an app whose data lives in the same database commits its
   * effect and the stored answer as one. While the transaction is open the key is `running` to every
   * claim, whatever its lease says, and no claim waits for it. A key another request holds or completed
   * resolves as `claim` would, without running `work`. If `work` throws, the transaction rolls back,
   * the key is released and the error is rethrown; if the database connection ends first, it rejects
   * with `FerryServerError('storage-unavailable')`.
   */
  transact<T>(input: ClaimInput, work: (sql: Sql) => Promise<Settlement<T>>): Promise<TransactResult<T>>;
  /**
   * Stores `answer` under the claim `ref` (`done`) in one statement, for an
   * effect made outside the store's database. Resolves false, storing
   * nothing, when the claim was lost (its lease expired and another request
   * claimed the key).
   */
  complete(ref: ClaimRef, answer: StoredAnswer): Promise<boolean>;
  /** Frees a claim that produced nothing worth storing. A no-op when `ref` no longer holds the key. */
  release(ref: ClaimRef): Promise<void>;
  /** One key as it is now, with its stored answer. */
  inspect(scope: string, key: string): Promise<KeyDetail | null>;
  /** Keys in `(scope, key)` order, a page at a time. */
  list(options?: ListOptions): Promise<KeyRecord[]>;
  /**
   * Deletes a key whatever its state, so its next request runs anew. Resolves false when there is no
   * such key, or a request's transaction holds it right now.
   */
  forget(scope: string, key: string): Promise<boolean>;
  /** Deletes keys whose expiry passed, in batches; returns how many. */
  purge(options?: PurgeOptions): Promise<number>;
  close(): Promise<void>;
}
