import type { OpRecord, QuarantinedRecord, WalRecord } from './lib/core.ts';
import { decodeOp, decodeWal, encodeOp, isRecord } from './lib/core.ts';
import { next, request } from './lib/request.ts';

/**
 * The database layout, in one place: names, the schema version, and the one
 * upgrade function that builds or migrates every version.
 *
 * ## Version 3 (current)
 *
 * Version 2 plus `meta`, out-of-line string keys: small values the engine
 * keeps beside the queue (the last compaction's time). The v2 → v3 step only
 * creates it.
 *
 * ## Version 2
 *
 * - `outbox`, keyPath `id`. Values are core's `OpRecord` (`v: 1`). Indexes, all
 *   sparse because `encodeOp` leaves a key field out when it does not apply:
 *   `laneKey` ([lane, seq], pending/inflight only), `dueKey` ([nextAttemptAt, seq],
 *   pending lane heads only), `leaseUntil` (inflight only), `statusKey`
 *   ([status, seq]). No plain `seq` index: `listOps` merges the status ranges.
 * - `wal`, keyPath `lsn`, autoIncrement. The LSN *is* the key generator's
 *   value: IndexedDB never lowers or reuses it, also after deletes and across
 *   reopen, which is exactly the WAL's guarantee. No index: compaction walks
 *   LSN order, and an index would cost a write on every append.
 * - `quarantine`, out-of-line autoIncrement keys: `QuarantinedRecord`s.
 *
 * ## Version 1 (Ferry before the query indexes)
 *
 * - `outbox`, keyPath `id`, indexes `status` ('status') and `lane`
 *   (['lane', 'seq']). Values were plain `Operation`s: no `v`, no
 *   `laneKey`/`dueKey`/`statusKey`, so the worker had to scan to find ready ops.
 * - `wal`, keyPath `lsn`, autoIncrement, no index; records without `v`.
 * - no quarantine.
 *
 * The v1 → v2 step re-encodes every op with `encodeOp` (working out which op
 * heads its lane), stamps WAL records with `v: 1`, and moves records it cannot
 * read into the quarantine: an upgrade never drops a queued op.
 */

/** The database name used when `IdbStore.open` is given none. */
export const DEFAULT_DB_NAME = 'ferry';

/** The schema version this code writes. Bump it together with a new step in `upgrade`. */
export const SCHEMA_VERSION = 3;

export const STORE = { outbox: 'outbox', wal: 'wal', quarantine: 'quarantine', meta: 'meta' } as const;

/** The stores every Ferry transaction spans, so that op and WAL change commit together. */
export const TX_STORES = [STORE.outbox, STORE.wal, STORE.quarantine, STORE.meta];

export const OUTBOX_INDEX = {
  laneKey: 'laneKey',
  dueKey: 'dueKey',
  leaseUntil: 'leaseUntil',
  statusKey: 'statusKey',
} as const;

/** Version 1's outbox indexes; only the upgrade still needs their names. */
const V1_OUTBOX_INDEX = { status: 'status', lane: 'lane' } as const;

/**
 * Creates or migrates the database to {@link SCHEMA_VERSION}, inside the
 * versionchange transaction `tx`. Steps run in order from `oldVersion`, so a
 * fresh database goes through the same v1 → v2 path an old one does.
 * It awaits only `tx`'s own requests; if it rejects, the caller must abort `tx`.
 *
 * @param now Wall-clock ms stamped on records the migration quarantines.
 */
export async function upgrade(
  db: IDBDatabase,
  oldVersion: number,
  newVersion: number | null,
  tx: IDBTransaction,
  now: number = Date.now(),
): Promise<void> {
  if (newVersion !== null && newVersion > SCHEMA_VERSION) {
    throw new Error(`cannot upgrade to schema version ${newVersion}; this build knows ${SCHEMA_VERSION}`);
  }
  if (oldVersion < 1) createV1(db);
  if (oldVersion < 2) await migrateV1toV2(db, tx, now);
  if (oldVersion < 3) db.createObjectStore(STORE.meta);
}

function createV1(db: IDBDatabase): void {
  const outbox = db.createObjectStore(STORE.outbox, { keyPath: 'id' });
  outbox.createIndex(V1_OUTBOX_INDEX.status, 'status');
  outbox.createIndex(V1_OUTBOX_INDEX.lane, ['lane', 'seq']);
  db.createObjectStore(STORE.wal, { keyPath: 'lsn', autoIncrement: true });
}

async function migrateV1toV2(db: IDBDatabase, tx: IDBTransaction, now: number): Promise<void> {
  db.createObjectStore(STORE.quarantine, { autoIncrement: true });

  const outbox = tx.objectStore(STORE.outbox);
  for (const name of Object.values(V1_OUTBOX_INDEX)) {
    if (outbox.indexNames.contains(name)) outbox.deleteIndex(name);
  }
  // Not unique: a unique-index violation would abort a whole state change.
  for (const name of Object.values(OUTBOX_INDEX)) outbox.createIndex(name, name);
  // The WAL store is kept, never recreated: its key generator is the LSN counter.
  const wal = tx.objectStore(STORE.wal);

  const quarantine = tx.objectStore(STORE.quarantine);
  const moveAside = async (q: Omit<QuarantinedRecord, 'at'>): Promise<void> => {
    await request(quarantine.add({ ...q, reason: `upgrade to v2: ${q.reason}`, at: now }));
  };
  await migrateOps(outbox, moveAside);
  await migrateWal(wal, moveAside);
}

/**
 * Re-encodes every op in place. Two cursor passes instead of loading the
 * queue: the first finds each lane's head (lowest-seq pending or inflight op),
 * the second writes. Only readable ops compete for head, or a corrupt head
 * would leave its lane without one and stuck forever.
 */
async function migrateOps(
  outbox: IDBObjectStore,
  moveAside: (q: Omit<QuarantinedRecord, 'at'>) => Promise<void>,
): Promise<void> {
  const heads = new Map<string, number>();
  for (let c = await request(outbox.openCursor()); c; c = await next(c)) {
    const rec = toV2Op(c.value, false);
    if (typeof rec === 'string' || (rec.status !== 'pending' && rec.status !== 'inflight')) continue;
    const head = heads.get(rec.lane);
    if (head === undefined || rec.seq < head) heads.set(rec.lane, rec.seq);
  }
  for (let c = await request(outbox.openCursor()); c; c = await next(c)) {
    const probe = toV2Op(c.value, false);
    const rec = typeof probe === 'string' ? probe : toV2Op(c.value, heads.get(probe.lane) === probe.seq);
    if (typeof rec === 'string') {
      await moveAside({ from: 'outbox', key: c.primaryKey as string, reason: rec, raw: c.value });
      await request(c.delete());
    } else {
      await request(c.update(rec));
    }
  }
}

async function migrateWal(
  wal: IDBObjectStore,
  moveAside: (q: Omit<QuarantinedRecord, 'at'>) => Promise<void>,
): Promise<void> {
  for (let c = await request(wal.openCursor()); c; c = await next(c)) {
    const rec = toV2Wal(c.value);
    if (typeof rec === 'string') {
      await moveAside({ from: 'wal', key: c.primaryKey as number, reason: rec, raw: c.value });
      await request(c.delete());
    } else {
      await request(c.update(rec));
    }
  }
}

/** A v1 op (no `v`) or an already current one, as a current record; else why not. */
function toV2Op(raw: unknown, isHead: boolean): OpRecord | string {
  if (!isRecord(raw)) return 'not an object';
  if (raw['v'] !== undefined && raw['v'] !== 1) return `unknown schema version ${String(raw['v'])}`;
  return decodeOp(encodeOp(raw as unknown as OpRecord, isHead));
}

function toV2Wal(raw: unknown): WalRecord | string {
  if (!isRecord(raw)) return 'not an object';
  return decodeWal(raw['v'] === undefined ? { ...raw, v: 1 } : raw);
}
