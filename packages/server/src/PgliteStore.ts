import { PGlite } from '@electric-sql/pglite';
import type { Sql } from './IdempotencyStore.ts';
import { SqlStore } from './lib/SqlStore.ts';

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

/**
 * The embedded store: Postgres compiled to WebAssembly (PGlite), in this
 * process, no server to run. The SQL is the one {@link PgStore} runs.
 * One process only: PGlite has a single connection, so transactions (and,
 * with `transaction: true`, the app's handlers) run one at a time, and a
 * duplicate that arrives while one runs inside a transaction waits for it
 * and gets the replay instead of a 409.
 */
export class PgliteStore extends SqlStore {
  /** The database, for an app that keeps its own tables next to the keys. */
  readonly db: PGlite;

  constructor(options: PgliteStoreOptions = {}) {
    const owned = options.db === undefined;
    if (owned) makeDataDir(options.dataDir);
    const db = options.db ?? new PGlite(options.dataDir);
    super(
      {
        query: <Row>(text: string, params?: unknown[]) => db.query<Row>(text, params),
        transaction: <T>(fn: (sql: Sql) => Promise<T>) => db.transaction((tx) => fn(tx)),
        close: async () => {
          if (owned) await db.close();
        },
      },
      options.table,
    );
    this.db = db;
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
