/**
 * The storage behind the idempotency layer: one table of keys, each either
 * `running` (claimed, with a lease) or `done` (its answer stored). Both
 * stores Ferry ships run the same SQL (Postgres through `pg`, PGlite
 * embedded); {@link storeConformance} checks any implementation.
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
  /** Wall-clock ms, from the layer's injected clock. */
  now: number;
  /** A claim lasts this long; after it, a crashed request's key can be claimed again. */
  leaseMs: number;
  /** A stored answer (or a lingering claim) is forgotten this long after `now`. */
  expiresMs: number;
}

/** Names one claim; only its holder can settle or release it. */
export interface ClaimRef {
  scope: string;
  key: string;
  token: string;
}

export type ClaimResult =
  /** This request holds the key until `leaseUntil`. */
  | { kind: 'claimed'; ref: ClaimRef; leaseUntil: number }
  /** Another request with this key holds a live lease. */
  | { kind: 'running'; fingerprint: string; leaseUntil: number }
  /** A request with this key completed; its answer is stored. */
  | { kind: 'done'; fingerprint: string; answer: StoredAnswer };

/** A query interface that both `pg` clients and PGlite transactions satisfy. */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

/** What {@link IdempotencyStore.settle}'s work decided. */
export interface Settlement<T> {
  value: T;
  /** Store this answer under the key (`done`); null releases the key instead. */
  answer: StoredAnswer | null;
  /** Roll back the transaction (the work's own writes too), then release the key. */
  rollback?: boolean;
  /** When the stored answer expires (ms), if it is stored. */
  expiresAt?: number;
}

export type SettleResult<T> = { ok: true; value: T } | { ok: false; reason: 'lost' };

export interface IdempotencyStore {
  /** Resolves once the store can answer (its schema exists); rejects if it never will. */
  ready?(): Promise<void>;
  /** Atomically claims the key, or says who has it. Never blocks on another claim. */
  claim(input: ClaimInput): Promise<ClaimResult>;
  /**
   * Runs `work` in one transaction that first confirms (and locks) the claim
   * `ref`, then stores its answer or releases the key in the same commit.
   * `work` gets the transaction's {@link Sql}, so an app whose data lives in
   * the same database commits its effect and the stored answer as one.
   * Resolves `{ ok: false }` without running `work` when the claim was lost
   * (its lease expired and another request claimed the key). If `work`
   * throws, the transaction rolls back, the key is released and the error
   * is rethrown.
   */
  settle<T>(ref: ClaimRef, work: (sql: Sql) => Promise<Settlement<T>>): Promise<SettleResult<T>>;
  /**
   * Stores `answer` under the claim `ref` (`done`) in one statement, for an
   * effect made outside the store's database. Resolves false, storing
   * nothing, when the claim was lost (its lease expired and another request
   * claimed the key).
   */
  complete(ref: ClaimRef, answer: StoredAnswer): Promise<boolean>;
  /** Frees a claim that produced nothing worth storing. A no-op when `ref` no longer holds the key. */
  release(ref: ClaimRef): Promise<void>;
  /** Reads a key as it is now (tests, tools). */
  inspect(
    scope: string,
    key: string,
  ): Promise<{
    state: 'running' | 'done';
    fingerprint: string;
    leaseUntil: number;
    expiresAt: number;
    answer: StoredAnswer | null;
  } | null>;
  /** Deletes keys whose expiry passed; returns how many. */
  purge(now: number): Promise<number>;
  close(): Promise<void>;
}
