import { PGlite } from '@electric-sql/pglite';
import type { Sql } from './IdempotencyStore.ts';
import { FerryServerError } from './FerryServerError.ts';
import type { ThreadDriver } from './sql/pgliteThread.ts';
import { pgliteThread } from './sql/pgliteThread.ts';
import { Prepared } from './sql/prepared.ts';
import type { SqlDriver, Statement } from './sql/SqlStore.ts';
import { OneConnectionStore } from './sql/OneConnectionStore.ts';

export interface PgliteStoreOptions {
  /**
   * Where PGlite keeps its files; the folder and its parents are created when missing. Omitted (or
   * undefined), the database lives in memory and is gone at exit.
   */
  dataDir?: string | undefined;
  /** An open PGlite to share with the app's own tables (then the app closes it, not the store). */
  db?: PGlite;
  /**
   * Runs PGlite in a worker thread of its own, off the thread that serves requests: its WebAssembly
   * (about 1 ms of CPU per statement) no longer stalls the event loop, at the cost of messages each
   * way (two per request in the transaction, and one per statement of the app's). `store.db` is then unavailable (the database
   * lives in the worker); the app's own statements outside a request go through `store.sql`. A
   * worker that dies fails every request after it with 503 `storage-unavailable` until the process
   * restarts. Not with `db`.
   * @default false
   */
  thread?: boolean;
  /** @default 'ferry_idempotency' */
  table?: string;
}

/**
 * The embedded store: Postgres compiled to WebAssembly (PGlite), in this
 * process (on its main thread, or with `thread: true` in a worker thread),
 * no server to run. The SQL is the one `PgStore` runs.
 * One process only: PGlite has a single connection, so transactions (and,
 * with `effects: 'in-transaction'`, the app's handlers) run one at a time. A
 * duplicate of a request this store holds is answered from memory at once
 * (409), without waiting for the connection.
 */
export class PgliteStore extends OneConnectionStore {
  /**
   * The store's database for the app's own statements (its tables next to the keys) outside a
   * request: the PGlite itself, or with `thread: true` the worker's.
   */
  readonly sql: Sql;
  readonly #db: PGlite | undefined;

  /** @throws FerryServerError `invalid-config` for `thread` with `db`; `unsupported` for `thread` without worker threads */
  constructor(options: PgliteStoreOptions = {}) {
    if (options.thread === true && options.db !== undefined)
      throw new FerryServerError('invalid-config', 'PgliteStore: thread runs a PGlite of its own; give db or thread');
    const owned = options.db === undefined;
    if (owned) makeDataDir(options.dataDir);
    const db = options.thread === true ? undefined : (options.db ?? new PGlite(options.dataDir));
    const thread = db ? undefined : pgliteThread(options.dataDir);
    super(db ? inProcess(db, owned) : (thread as ThreadDriver), options.table);
    this.#db = db;
    this.sql = db ?? (thread as ThreadDriver).sql;
  }

  /**
   * The PGlite, for an app that keeps its own tables next to the keys and needs more than `sql`
   * (`exec`, `transaction`, `listen`…).
   * @throws FerryServerError `unsupported` with `thread: true`: the PGlite lives in the worker
   */
  get db(): PGlite {
    if (!this.#db)
      throw new FerryServerError('unsupported', 'a PgliteStore with thread: true has its PGlite in a worker; use sql');
    return this.#db;
  }
}

/** PGlite on this thread: its transactions are PGlite's own, the store's statements prepared ({@link Prepared}). */
function inProcess(db: PGlite, owned: boolean): SqlDriver {
  const prepared = new Prepared();
  const run = async (on: Pick<PGlite, 'exec'>, s: Statement): Promise<unknown[]> => {
    const results = await on.exec(await prepared.text(s, (text) => on.exec(text)));
    return results.at(-1)?.rows ?? [];
  };
  return {
    query: async <Row>(text: string, params: unknown[] = []) => ({ rows: (await run(db, { text, params })) as Row[] }),
    transaction: async (open, fn) => {
      const claim = open.claim ? await run(db, open.claim) : [];
      return db.transaction(async (tx) => {
        const first = await run(tx, open.first);
        const { value, last } = await fn(tx, { claim, first });
        await run(tx, last);
        return value;
      });
    },
    close: async () => {
      if (owned) await db.close();
    },
  };
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
