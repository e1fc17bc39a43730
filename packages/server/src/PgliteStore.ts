import { PGlite } from '@electric-sql/pglite';
import type {
  ClaimInput,
  ClaimRef,
  ClaimResult,
  Settlement,
  Sql,
  StoredAnswer,
  TransactResult,
} from './IdempotencyStore.ts';
import { SqlStore } from './sql/SqlStore.ts';

export interface PgliteStoreOptions {
  /**
   * Where PGlite keeps its files; the folder and its parents are created when missing. Omitted (or
   * undefined), the database lives in memory and is gone at exit.
   */
  dataDir?: string | undefined;
  /** An open PGlite to share with the app's own tables (then the app closes it, not the store). */
  db?: PGlite;
  /** @default 'ferry_idempotency' */
  table?: string;
}

/** A claim this store holds right now, known without asking the database. */
interface Held {
  token: string;
  fingerprint: string;
  /** By this process's clock, which is PGlite's own (it runs in this process). */
  leaseUntil: number;
  settling: boolean;
}

/**
 * The embedded store: Postgres compiled to WebAssembly (PGlite), in this
 * process, no server to run. The SQL is the one `PgStore` runs.
 * One process only: PGlite has a single connection, so transactions (and,
 * with `effects: 'in-transaction'`, the app's handlers) run one at a time. A
 * duplicate of a request this store holds is answered from memory at once
 * (409), without waiting for the connection.
 */
export class PgliteStore extends SqlStore {
  /** The database, for an app that keeps its own tables next to the keys. */
  readonly db: PGlite;
  readonly #held = new Map<string, Held>();

  constructor(options: PgliteStoreOptions = {}) {
    const owned = options.db === undefined;
    if (owned) makeDataDir(options.dataDir);
    const db = options.db ?? new PGlite(options.dataDir);
    super(
      {
        query: <Row>(text: string, params?: unknown[]) => db.query<Row>(text, params),
        transaction: async (open, fn) => {
          const claim = open.claim ? (await db.query(open.claim.text, open.claim.params)).rows : [];
          return db.transaction(async (tx) => {
            const first = (await tx.query(open.first.text, open.first.params)).rows;
            const { value, last } = await fn(tx, { claim, first });
            await tx.query(last.text, last.params);
            return value;
          });
        },
        close: async () => {
          if (owned) await db.close();
        },
      },
      options.table,
    );
    this.db = db;
  }

  override async claim(c: ClaimInput): Promise<ClaimResult> {
    const id = JSON.stringify([c.scope, c.key]);
    const mine = this.#held.get(id);
    const now = Date.now();
    if (mine && (mine.settling || mine.leaseUntil > now))
      return { kind: 'running', fingerprint: mine.fingerprint, retryAfterMs: Math.max(0, mine.leaseUntil - now) };
    const result = await super.claim(c);
    if (result.kind === 'claimed')
      this.#held.set(id, {
        token: result.ref.token,
        fingerprint: c.fingerprint,
        leaseUntil: now + c.leaseMs,
        settling: false,
      });
    return result;
  }

  /** The claim first, apart, so that a duplicate is answered from memory while the transaction waits for the connection. */
  override async transact<T>(c: ClaimInput, work: (sql: Sql) => Promise<Settlement<T>>): Promise<TransactResult<T>> {
    const claim = await this.claim(c);
    if (claim.kind !== 'claimed') return claim;
    const mine = this.#mine(claim.ref);
    if (mine) mine.settling = true;
    try {
      const settled = await this.settleClaimed(claim.ref, work);
      return settled.kind === 'lost' ? { kind: 'running', fingerprint: c.fingerprint, retryAfterMs: 0 } : settled;
    } finally {
      this.#forget(claim.ref);
    }
  }

  override async complete(ref: ClaimRef, answer: StoredAnswer): Promise<boolean> {
    try {
      return await super.complete(ref, answer);
    } finally {
      this.#forget(ref);
    }
  }

  override async release(ref: ClaimRef): Promise<void> {
    try {
      await super.release(ref);
    } finally {
      this.#forget(ref);
    }
  }

  override async forget(scope: string, key: string): Promise<boolean> {
    // A transaction holds the key (and PGlite's one connection): the delete would wait for it.
    if (this.#held.get(JSON.stringify([scope, key]))?.settling) return false;
    return super.forget(scope, key);
  }

  #mine(ref: ClaimRef): Held | undefined {
    const held = this.#held.get(JSON.stringify([ref.scope, ref.key]));
    return held?.token === ref.token ? held : undefined;
  }

  #forget(ref: ClaimRef): void {
    if (this.#mine(ref)) this.#held.delete(JSON.stringify([ref.scope, ref.key]));
  }
}

/**
 * PGlite creates its data folder but not the folders above it. A filesystem path gets them all
 * here; a URL-style location (`idb://`, `memory://`, `opfs-ahp://`) is PGlite's own business.
 * `process.getBuiltinModule` keeps `node:fs` out of the import graph of runtimes without it.
 */
function makeDataDir(dataDir: string | undefined): void {
  if (dataDir === undefined || dataDir === '' || /^[a-z][a-z0-9+-]*:\/\//i.test(dataDir)) return;
  const fs = globalThis.process?.getBuiltinModule?.('node:fs');
  fs?.mkdirSync(dataDir, { recursive: true });
}
