// Test helpers only; not exported by the package. Nothing here imports
// fake-indexeddb, so Chromium tests use it too: raw IndexedDB on any factory,
// bypassing the store, and test records.
import type { Clock, OpRecord, Operation } from './core.ts';
import { encodeOp } from './core.ts';

/** A clock the test moves by hand. */
export function virtualClock(start = 1_000): Clock & { set(ms: number): void } {
  let now = start;
  return { now: () => now, set: (ms) => void (now = ms) };
}

/** A plain Operation with test defaults. */
export function op(fields: Partial<Operation> & { id: string; seq: number }): Operation {
  return {
    kind: 'message.send',
    target: '/api/messages',
    method: 'POST',
    payload: { text: `hello ${fields.id}` },
    lane: 'default',
    idempotencyKey: `key-${fields.id}`,
    status: 'pending',
    attempt: 0,
    nextAttemptAt: 0,
    createdAt: 0,
    updatedAt: 0,
    ...fields,
  };
}

/** The stored form of {@link op}. */
export function rec(fields: Partial<Operation> & { id: string; seq: number }, isHead = false): OpRecord {
  return encodeOp(op(fields), isHead);
}

/** Resolves a raw IDB request. */
export function settle<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });
}

/** Opens a database, running `onUpgrade` when it is created or upgraded. */
export function rawOpen(
  factory: IDBFactory,
  name: string,
  version?: number,
  onUpgrade?: (db: IDBDatabase, tx: IDBTransaction) => void,
): Promise<IDBDatabase> {
  const request = factory.open(name, version);
  if (onUpgrade) request.onupgradeneeded = () => onUpgrade(request.result, request.transaction!);
  return settle(request);
}

/** Writes `value` into `storeName` (in-line keys), bypassing every check of the store. */
export async function rawPut(factory: IDBFactory, storeName: string, value: unknown, name = 'ferry'): Promise<void> {
  const db = await rawOpen(factory, name);
  const tx = db.transaction(storeName, 'readwrite');
  tx.objectStore(storeName).put(value);
  await committed(tx);
  db.close();
}

/** Everything in a store. */
export async function rawAll(factory: IDBFactory, storeName: string, name = 'ferry'): Promise<unknown[]> {
  const db = await rawOpen(factory, name);
  const all = await settle(db.transaction(storeName).objectStore(storeName).getAll());
  db.close();
  return all;
}

/**
 * A version-1 database as Ferry v1 wrote it (see schema.ts): plain
 * Operations, WAL records without `v`, no quarantine.
 * @param withWalStore false builds a broken v1 database the upgrade fails on
 */
export async function buildV1(
  factory: IDBFactory,
  ops: unknown[],
  wal: unknown[],
  { name = 'ferry', withWalStore = true }: { name?: string; withWalStore?: boolean } = {},
): Promise<void> {
  const db = await rawOpen(factory, name, 1, (db) => {
    const outbox = db.createObjectStore('outbox', { keyPath: 'id' });
    outbox.createIndex('status', 'status');
    outbox.createIndex('lane', ['lane', 'seq']);
    if (withWalStore) db.createObjectStore('wal', { keyPath: 'lsn', autoIncrement: true });
  });
  const tx = db.transaction(withWalStore ? ['outbox', 'wal'] : ['outbox'], 'readwrite');
  for (const o of ops) tx.objectStore('outbox').put(o);
  for (const r of wal) tx.objectStore('wal').add(r);
  await committed(tx);
  db.close();
}

/** The database's version and, per store, key path, key generator and index names. */
export async function layout(factory: IDBFactory, name = 'ferry'): Promise<Record<string, unknown>> {
  const db = await rawOpen(factory, name);
  const tx = db.transaction([...db.objectStoreNames], 'readonly');
  const stores = Object.fromEntries(
    [...db.objectStoreNames].map((storeName) => {
      const s = tx.objectStore(storeName);
      return [storeName, { keyPath: s.keyPath, autoIncrement: s.autoIncrement, indexes: [...s.indexNames].sort() }];
    }),
  );
  const version = db.version;
  db.close();
  return { version, stores };
}

/** What {@link layout} shows for the current schema. */
export const CURRENT_LAYOUT = {
  version: 3,
  stores: {
    outbox: { keyPath: 'id', autoIncrement: false, indexes: ['dueKey', 'laneKey', 'leaseUntil', 'statusKey'] },
    wal: { keyPath: 'lsn', autoIncrement: true, indexes: [] },
    quarantine: { keyPath: null, autoIncrement: true, indexes: [] },
    meta: { keyPath: null, autoIncrement: false, indexes: [] },
  },
};
