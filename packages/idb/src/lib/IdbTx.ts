import { OUTBOX_INDEX, STORE } from '../schema.ts';
import type {
  Clock,
  ListQuery,
  OpRecord,
  OperationStatus,
  OutboxTx,
  QuarantinedRecord,
  TxMode,
  WalEntry,
  WalRecord,
} from './core.ts';
import { FerryError, OPERATION_STATUSES, decodeOp, decodeWal, laneId } from './core.ts';
import { DecodingReader, countOf, isQuarantined } from './DecodingReader.ts';
import { next, request } from './request.ts';

type OutboxIndex = (typeof OUTBOX_INDEX)[keyof typeof OUTBOX_INDEX];

/** Read at call time, never at import: a module loaded where IndexedDB is absent still loads. */
const keyRange = (): typeof IDBKeyRange => globalThis.IDBKeyRange;
const statusRange = (status: OperationStatus): IDBKeyRange => keyRange().bound([status, -Infinity], [status, Infinity]);

/**
 * The {@link OutboxTx} over one IndexedDB transaction spanning outbox, WAL
 * and quarantine. It only ever awaits that transaction's own requests.
 *
 * Every read decodes what it finds. A record that does not decode is moved
 * to the quarantine (readwrite) or skipped (readonly) and listed in
 * {@link IdbTx.reports}, which the store hands to `onCorrupt` once the
 * transaction has settled; it is never thrown.
 */
export class IdbTx implements OutboxTx {
  readonly #tx: IDBTransaction;
  readonly #writable: boolean;
  readonly #reader: DecodingReader;

  constructor(tx: IDBTransaction, mode: TxMode, clock: Clock) {
    this.#tx = tx;
    this.#writable = mode === 'readwrite';
    this.#reader = new DecodingReader((name) => this.#store(name), this.#writable, clock);
  }

  /** Records found unreadable in this transaction, each once. */
  get reports(): readonly QuarantinedRecord[] {
    return this.#reader.reports;
  }

  /** Lanes whose quarantined record may have been the head: the store promotes the op behind it before commit. */
  get heal(): Set<string> {
    return this.#reader.heal;
  }

  get #outbox(): IDBObjectStore {
    return this.#store(STORE.outbox);
  }

  get #wal(): IDBObjectStore {
    return this.#store(STORE.wal);
  }

  #store(name: string): IDBObjectStore {
    return this.#tx.objectStore(name);
  }

  async getOp(id: string): Promise<OpRecord | undefined> {
    const raw: unknown = await request(this.#outbox.get(id));
    if (raw === undefined) return undefined;
    const rec = decodeOp(raw);
    if (typeof rec !== 'string') return rec;
    await this.#reader.corrupt('outbox', id, raw, rec);
    return undefined;
  }

  async addOp(rec: OpRecord): Promise<void> {
    this.#assertWritable();
    // count(undefined) would count the whole store; a bad id is the caller's bug.
    if (typeof rec.id !== 'string') throw new FerryError('invalid-operation', 'an operation id must be a string');
    // One request, no look-up first (enqueue's hot path). A failed `add` would
    // abort the whole transaction, so its ConstraintError is caught on the raw
    // request and the abort prevented: the caller may go on after a duplicate.
    const req = this.#outbox.add(rec);
    await new Promise<void>((resolve, reject) => {
      req.onsuccess = () => resolve();
      req.onerror = (event) => {
        if (req.error?.name !== 'ConstraintError') return reject(req.error);
        event.preventDefault();
        event.stopPropagation();
        reject(duplicate(rec.id));
      };
    });
  }

  async putOp(rec: OpRecord): Promise<void> {
    this.#assertWritable();
    await request(this.#outbox.put(rec));
  }

  async deleteOp(id: string): Promise<void> {
    this.#assertWritable();
    await request(this.#outbox.delete(id));
  }

  async appendWal(entry: WalEntry): Promise<number> {
    this.#assertWritable();
    // Without a key the generator picks the LSN and IndexedDB writes it into
    // the stored value at `lsn` (the keyPath). A stray `lsn` would be used as
    // the key instead, so it is dropped.
    const { lsn: _ignored, ...fields } = entry as WalEntry & { lsn?: unknown };
    return (await request(this.#wal.add({ ...fields, v: 1 }))) as number;
  }

  laneOps(lane: string, afterSeq: number | undefined, limit: number): Promise<OpRecord[]> {
    const range = keyRange().bound([lane, afterSeq ?? -Infinity], [lane, Infinity], afterSeq !== undefined, false);
    return this.#ops(OUTBOX_INDEX.laneKey, range, limit);
  }

  dueHeads(now: number, limit: number, from?: number): Promise<OpRecord[]> {
    const range =
      from === undefined
        ? keyRange().upperBound([now, Infinity])
        : keyRange().bound([from, -Infinity], [now, Infinity]);
    return this.#ops(OUTBOX_INDEX.dueKey, range, limit);
  }

  async nextDueAt(): Promise<number | undefined> {
    // The index key, not the decoded record: an unreadable due head still says work is due, so the
    // worker wakes and its claim (readwrite) moves the record aside and promotes the op behind it.
    const key = (await request(this.#outbox.index(OUTBOX_INDEX.dueKey).openKeyCursor()))?.key;
    return Array.isArray(key) && typeof key[0] === 'number' ? key[0] : undefined;
  }

  expiredLeases(now: number, limit: number): Promise<OpRecord[]> {
    return this.#ops(OUTBOX_INDEX.leaseUntil, keyRange().upperBound(now), limit);
  }

  async nextLeaseEnd(): Promise<number | undefined> {
    const [first] = await this.#ops(OUTBOX_INDEX.leaseUntil, null, 1);
    return first?.leaseUntil;
  }

  inflight(limit: number): Promise<OpRecord[]> {
    return this.#ops(OUTBOX_INDEX.statusKey, statusRange('inflight'), limit);
  }

  /** Picks the index that already narrows the query most; every choice yields enqueue (seq) order. */
  async listOps({ status, lane, user, limit = 1000 }: ListQuery): Promise<OpRecord[]> {
    // The lane index orders by lane id (the name, then a NUL and the user for a user's ops).
    if (lane !== undefined && (status === 'pending' || status === 'inflight')) {
      const keep = (r: OpRecord): boolean => r.status === status && r.lane === lane;
      const id = (u?: string): IDBKeyRange => {
        const key = laneId(u === undefined ? { lane } : { lane, user: u });
        return keyRange().bound([key, -Infinity], [key, Infinity]);
      };
      if (user !== undefined) return this.#ops(OUTBOX_INDEX.laneKey, id(user), limit, keep);
      // Every user's part of the lane: ordered by user first, so read whole and merged by seq.
      const users = keyRange().bound([`${lane}\u0000`, -Infinity], [`${lane}\u0001`, -Infinity], false, true);
      const [own, theirs] = await Promise.all([
        this.#ops(OUTBOX_INDEX.laneKey, id(), limit, keep),
        this.#ops(OUTBOX_INDEX.laneKey, users, Infinity, keep),
      ]);
      return theirs.length === 0 ? own : [...own, ...theirs].sort((a, b) => a.seq - b.seq).slice(0, limit);
    }
    const inLane =
      lane === undefined && user === undefined
        ? undefined
        : (r: OpRecord): boolean => (lane === undefined || r.lane === lane) && (user === undefined || r.user === user);
    if (status !== undefined) return this.#ops(OUTBOX_INDEX.statusKey, statusRange(status), limit, inLane);
    // No `seq` index (it would cost a write on every change): merge the four status ranges instead.
    const byStatus = await Promise.all(
      OPERATION_STATUSES.map((s) => this.#ops(OUTBOX_INDEX.statusKey, statusRange(s), limit, inLane)),
    );
    return byStatus
      .flat()
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }

  /** Counts index entries without reading values, so unreadable records are counted too. */
  async countByStatus(): Promise<Record<OperationStatus, number>> {
    const index = this.#outbox.index(OUTBOX_INDEX.statusKey);
    const counts = await Promise.all(
      OPERATION_STATUSES.map(async (s) => [s, await request(index.count(statusRange(s)))] as const),
    );
    return Object.fromEntries(counts) as Record<OperationStatus, number>;
  }

  walFrom(fromLsn: number, limit: number): Promise<WalRecord[]> {
    return this.#reader.collect('wal', this.#wal, keyRange().lowerBound(fromLsn), limit, decodeWal);
  }

  async deleteWalBefore(before: number, limit = Infinity): Promise<number> {
    this.#assertWritable();
    let deleted = 0;
    for (let c = await request(this.#wal.openCursor()); c && deleted < limit; c = await next(c)) {
      const rec = decodeWal(c.value);
      if (typeof rec === 'string') await this.#reader.corrupt('wal', c.primaryKey, c.value, rec);
      else if (rec.at >= before) break;
      else {
        await request(c.delete());
        deleted++;
      }
    }
    return deleted;
  }

  async deleteDoneBefore(before: number, limit = Infinity): Promise<number> {
    this.#assertWritable();
    let deleted = 0;
    const index = this.#outbox.index(OUTBOX_INDEX.statusKey);
    // Ordered by seq, not by updatedAt, so the whole done range is visited.
    for (let c = await request(index.openCursor(statusRange('done'))); c && deleted < limit; c = await next(c)) {
      const rec = decodeOp(c.value);
      if (typeof rec === 'string') await this.#reader.corrupt('outbox', c.primaryKey, c.value, rec);
      else if (rec.updatedAt < before) {
        await request(c.delete());
        deleted++;
      }
    }
    return deleted;
  }

  getMeta(key: string): Promise<unknown> {
    return request(this.#store(STORE.meta).get(key));
  }

  async putMeta(key: string, value: number | string | boolean | null): Promise<void> {
    this.#assertWritable();
    await request(this.#store(STORE.meta).put(value, key));
  }

  async quarantined(limit: number): Promise<QuarantinedRecord[]> {
    if (!(limit > 0)) return [];
    const all: unknown[] = await request(this.#store(STORE.quarantine).getAll(null, countOf(limit)));
    return all.filter(isQuarantined);
  }

  #ops(
    index: OutboxIndex,
    range: IDBKeyRange | null,
    limit: number,
    keep?: (rec: OpRecord) => boolean,
  ): Promise<OpRecord[]> {
    return this.#reader.collect('outbox', this.#outbox.index(index), range, limit, decodeOp, keep);
  }

  #assertWritable(): void {
    // IndexedDB would throw ReadOnlyError; this says the same with our code.
    if (!this.#writable) throw new FerryError('invalid-state', 'write in a readonly transaction');
  }
}

function duplicate(id: string): FerryError {
  return new FerryError('duplicate-id', `an operation with id ${JSON.stringify(id)} is already stored`);
}
