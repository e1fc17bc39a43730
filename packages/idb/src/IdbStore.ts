import type { Clock, OutboxStore, OutboxTx, QuarantinedRecord, TxMode } from './lib/core.ts';
import { FerryError, promoteNext, systemClock } from './lib/core.ts';
import { IdbTx } from './lib/IdbTx.ts';
import { mapError, nameOf } from './lib/mapError.ts';
import { openDatabase } from './lib/openDatabase.ts';
import { done as txDone } from './lib/request.ts';
import { DEFAULT_DB_NAME, TX_STORES } from './schema.ts';

/** Options of {@link IdbStore.open}. */
export interface IdbStoreOptions {
  /**
   * Database name; use one per app and origin.
   * @default 'ferry'
   */
  name?: string;
  /**
   * The IndexedDB factory (in Node tests: a fresh `new IDBFactory()` from
   * `fake-indexeddb` per test, with `fake-indexeddb/auto` for `IDBKeyRange`).
   * @default globalThis.indexedDB, read when `open` is called
   */
  indexedDB?: IDBFactory;
  /**
   * Durability of readwrite transactions.
   *
   * 'strict' (the default, as the host's) reports a commit once the data is
   * flushed to disk: an acknowledged op survives an OS crash or power loss
   * too. 'relaxed' reports it once the data is handed to the OS: an
   * acknowledged op survives a crashed tab, browser or service worker, but
   * not an OS crash or power loss in the following moments; it costs less
   * per commit, which matters for one enqueue alone (a burst shares commits).
   * 'default' leaves it to the browser (Chromium: relaxed since 83; Firefox:
   * strict).
   * @default 'strict'
   */
  durability?: IDBTransactionDurability;
  /** Stamps quarantined records. @default the system clock */
  clock?: Clock;
  /**
   * Told about every record found unreadable, after its transaction settled:
   * moved to the quarantine in a readwrite transaction, skipped in a readonly
   * one. Errors it throws are ignored: reporting never fails a state change.
   * @default ignore them
   */
  onCorrupt?: (record: QuarantinedRecord) => void;
  /**
   * Another tab or worker opened the database with a newer schema (or deleted
   * it, `newVersion === null`). The store has already closed its connection
   * so as not to block that upgrade; later transactions reject with
   * `storage-unavailable`. A good reaction is to reload this context.
   * @default ignore it
   */
  onVersionChange?: (change: { oldVersion: number; newVersion: number | null }) => void;
  /**
   * The store stopped on its own and refuses every transaction from now on:
   * the browser closed the connection (site data cleared, the database found
   * corrupt, a disk failure), or another context upgraded or deleted the
   * database (after `onVersionChange`). Told once, with the reason later
   * transactions reject with. Opening a new store is the way on.
   * @default ignore it
   */
  onClose?: (reason: FerryError) => void;
}

/**
 * The {@link OutboxStore} on IndexedDB: the outbox and the WAL live in one
 * database, and every {@link IdbStore.transaction} spans both, so an op and
 * its WAL record commit together or not at all.
 *
 * @example
 * const store = await IdbStore.open({ name: 'my-app' });
 * const outbox = new Outbox({ store });
 */
export class IdbStore implements OutboxStore {
  readonly #db: IDBDatabase;
  /**
   * Whether this open created the database. Where Ferry's database is known
   * to have existed before (the service worker host keeps a witness outside
   * IndexedDB), a created one means the browser dropped it and its ops.
   */
  readonly created: boolean;
  readonly #durability: IDBTransactionDurability;
  readonly #clock: Clock;
  readonly #onCorrupt: (record: QuarantinedRecord) => void;
  readonly #onVersionChange: NonNullable<IdbStoreOptions['onVersionChange']>;
  readonly #onClose: NonNullable<IdbStoreOptions['onClose']>;
  readonly #running = new Set<Promise<unknown>>();
  /** Why transactions are refused, once they are. */
  #unusable: FerryError | undefined;

  private constructor(db: IDBDatabase, created: boolean, options: IdbStoreOptions) {
    this.#db = db;
    this.created = created;
    this.#durability = options.durability ?? 'strict';
    this.#clock = options.clock ?? systemClock;
    this.#onCorrupt = options.onCorrupt ?? (() => {});
    this.#onVersionChange = options.onVersionChange ?? (() => {});
    this.#onClose = options.onClose ?? (() => {});
  }

  /**
   * Opens the database, creating it or migrating an older Ferry schema first.
   * @throws FerryError `storage-unavailable` when IndexedDB is missing, refused,
   *   blocked by another tab or newer than this code; `quota-exceeded` when an
   *   upgrade runs out of space.
   */
  static async open(options: IdbStoreOptions = {}): Promise<IdbStore> {
    const factory = options.indexedDB ?? (globalThis.indexedDB as IDBFactory | undefined);
    if (factory === undefined || factory === null) {
      throw new FerryError('storage-unavailable', 'IndexedDB is not available in this context');
    }
    const clock = options.clock ?? systemClock;
    const { db, created } = await openDatabase(factory, options.name ?? DEFAULT_DB_NAME, () => clock.now());
    const store = new IdbStore(db, created, options);
    store.#watch();
    return store;
  }

  /**
   * Runs `fn` in one IndexedDB transaction over outbox, WAL and quarantine and
   * resolves with its result after commit. If `fn` throws, the transaction is
   * aborted, nothing it wrote is kept, and its error is rethrown. `fn` must
   * await nothing but the calls it makes on `tx`: IndexedDB commits a
   * transaction as soon as it has no pending request.
   * @throws FerryError `quota-exceeded`, `storage-unavailable`, `closed`, or what `fn` threw
   */
  transaction<T>(mode: TxMode, fn: (tx: OutboxTx) => Promise<T>): Promise<T> {
    if (this.#unusable !== undefined) return Promise.reject(this.#unusable);
    let raw: IDBTransaction;
    try {
      // Durability only means something for writes.
      raw = this.#db.transaction(TX_STORES, mode, mode === 'readwrite' ? { durability: this.#durability } : {});
    } catch (err) {
      return Promise.reject(mapError(err, 'transaction'));
    }
    const run = this.#run(raw, mode, fn);
    const settled = run.then(
      () => {},
      () => {},
    );
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
    return run;
  }

  /** Refuses new transactions, waits for running ones, then closes the connection. */
  async close(): Promise<void> {
    this.#unusable ??= new FerryError('closed', 'the store is closed');
    await Promise.all(this.#running);
    this.#unwatch();
    this.#db.close();
  }

  async #run<T>(raw: IDBTransaction, mode: TxMode, fn: (tx: OutboxTx) => Promise<T>): Promise<T> {
    const tx = new IdbTx(raw, mode, this.#clock);
    const done = txDone(raw);
    let committed = false;
    void done.then(
      () => (committed = true),
      () => {},
    );
    // Chromium reports a full quota by aborting the transaction without
    // settling the pending request (https://github.com/dexie/Dexie.js/issues/840), so `fn` may never
    // settle: an abort must win the race on its own.
    const aborted = new Promise<never>((_, reject) => {
      done.catch(reject);
    });
    let pending: Promise<T>;
    try {
      pending = Promise.resolve(fn(tx));
    } catch (err) {
      pending = Promise.reject(err);
    }
    // If the abort wins, nobody awaits `pending` any more.
    pending.catch(() => {});
    aborted.catch(() => {});
    try {
      const result = await Promise.race([pending, aborted]);
      // A quarantined lane head hands its lane to the op behind it, in this same transaction.
      for (const lane of tx.heal) {
        tx.heal.delete(lane);
        await Promise.race([promoteNext(tx, lane), aborted]);
      }
      await done;
      return result;
    } catch (err) {
      try {
        raw.abort();
      } catch {
        // Already committed or aborted: there is nothing left to undo.
      }
      if (committed && isStateError(err)) {
        // Writes made before that await were committed: a caller bug worth a loud code.
        throw new FerryError(
          'invalid-state',
          'the transaction committed before its callback was done (it awaited something other than its own requests)',
          {
            cause: err,
          },
        );
      }
      throw mapError(err, 'transaction');
    } finally {
      this.#report(tx.reports);
    }
  }

  #report(records: readonly QuarantinedRecord[]): void {
    for (const record of records) {
      try {
        this.#onCorrupt(record);
      } catch {
        // See IdbStoreOptions.onCorrupt: a failing reporter changes nothing.
      }
    }
  }

  // Listeners live from open() to close(), never from a constructor: a store never opened holds none.
  #onVersionChangeEvent = (event: IDBVersionChangeEvent): void => {
    // Close at once, or the other context's upgrade stays blocked.
    this.#unusable ??= new FerryError(
      'storage-unavailable',
      'the database was upgraded or deleted by another context; reload',
    );
    this.#unwatch();
    this.#db.close();
    this.#onVersionChange({ oldVersion: event.oldVersion, newVersion: event.newVersion });
    this.#onClose(this.#unusable);
  };

  // The browser closed the connection itself (storage cleared, corruption, disk failure).
  #onCloseEvent = (): void => {
    this.#unusable ??= new FerryError('storage-unavailable', 'the browser closed the database connection');
    this.#unwatch();
    this.#onClose(this.#unusable);
  };

  #watch(): void {
    this.#db.addEventListener('versionchange', this.#onVersionChangeEvent);
    this.#db.addEventListener('close', this.#onCloseEvent);
  }

  #unwatch(): void {
    this.#db.removeEventListener('versionchange', this.#onVersionChangeEvent);
    this.#db.removeEventListener('close', this.#onCloseEvent);
  }
}

/** What IndexedDB throws when a request is made on a finished transaction. */
function isStateError(err: unknown): boolean {
  const name = nameOf(err);
  return name === 'InvalidStateError' || name === 'TransactionInactiveError';
}
