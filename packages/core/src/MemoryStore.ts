import { FerryError } from './FerryError.ts';
import type { OperationStatus } from './Operation.ts';
import type { ListQuery, OpRecord, OutboxStore, OutboxTx, QuarantinedRecord, TxMode } from './OutboxStore.ts';
import type { Clock } from './Platform.ts';
import { systemClock } from './Platform.ts';
import type { WalEntry, WalRecord } from './WalRecord.ts';
import { decodeOp, decodeWal, laneOfRaw } from './lib/records.ts';
import { promoteNext } from './lib/promoteNext.ts';

/** What a MemoryStore holds. Pass it to a new MemoryStore to "reopen" the same data. */
export interface MemoryData {
  /** Raw values, as a real store would hold them: they are decoded on every read. */
  ops: Map<string, unknown>;
  wal: Map<number, unknown>;
  quarantine: QuarantinedRecord[];
  lastLsn: number;
  /** Absent in data made before the store kept any. */
  meta?: Map<string, unknown>;
}

export interface MemoryStoreOptions {
  /** Data left by an earlier store (a restart). @default empty */
  data?: MemoryData;
  /** Stamps quarantined records. @default systemClock */
  clock?: Clock;
  /** Told about every record that could not be read back. @default ignore them */
  onCorrupt?: (record: QuarantinedRecord) => void;
}

type Key = string | number;
const cmp = (a: Key, b: Key): number => (a < b ? -1 : a > b ? 1 : 0);
const cmpPair = (a: readonly [Key, number], b: readonly [Key, number]): number => cmp(a[0], b[0]) || cmp(a[1], b[1]);

/**
 * A complete {@link OutboxStore} in memory, for Node, tests and pages that
 * need no persistence. Every transaction is atomic: writes go through an
 * undo log, and a callback that throws leaves no trace. Transactions run one
 * at a time, as IndexedDB runs readwrite transactions over the same stores.
 */
export class MemoryStore implements OutboxStore {
  readonly data: MemoryData;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #clock: Clock;
  readonly #onCorrupt: (record: QuarantinedRecord) => void;

  constructor(options: MemoryStoreOptions = {}) {
    this.data = options.data ?? { ops: new Map(), wal: new Map(), quarantine: [], lastLsn: 0 };
    this.#clock = options.clock ?? systemClock;
    this.#onCorrupt = options.onCorrupt ?? (() => {});
  }

  transaction<T>(mode: TxMode, fn: (tx: OutboxTx) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new FerryError('closed', 'the store is closed'));
    const run = this.#tail.then(() => this.#run(mode, fn));
    this.#tail = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
  }

  async #run<T>(mode: TxMode, fn: (tx: OutboxTx) => Promise<T>): Promise<T> {
    const undo: (() => void)[] = [];
    const writable = mode === 'readwrite';
    const write = (): void => {
      if (!writable) throw new FerryError('invalid-state', 'write in a readonly transaction');
    };
    const setOp = (id: string, value: unknown): void => {
      const had = this.data.ops.has(id);
      const before = this.data.ops.get(id);
      undo.push(() => (had ? this.data.ops.set(id, before) : this.data.ops.delete(id)));
      if (value === undefined) this.data.ops.delete(id);
      else this.data.ops.set(id, value);
    };
    // Lanes whose quarantined record may have been the head: the op behind it is promoted before commit.
    const heal = new Set<string>();
    const corrupt = (from: 'outbox' | 'wal', key: Key, raw: unknown, reason: string): void => {
      const q: QuarantinedRecord = { from, key, reason, at: this.#clock.now(), raw };
      if (writable) {
        const lane = from === 'outbox' ? laneOfRaw(raw) : undefined;
        if (lane !== undefined) heal.add(lane);
        if (from === 'outbox') setOp(key as string, undefined);
        else {
          this.data.wal.delete(key as number);
          undo.push(() => this.data.wal.set(key as number, raw));
        }
        this.data.quarantine.push(q);
        undo.push(() => this.data.quarantine.pop());
      }
      this.#onCorrupt(q);
    };
    const opsWhere = (keep: (rec: OpRecord) => boolean): OpRecord[] => {
      const out: OpRecord[] = [];
      for (const [id, raw] of [...this.data.ops]) {
        const rec = decodeOp(raw);
        if (typeof rec === 'string') corrupt('outbox', id, raw, rec);
        else if (keep(rec)) out.push(structuredClone(rec));
      }
      return out;
    };

    const tx: OutboxTx = {
      getOp: async (id) => {
        const raw = this.data.ops.get(id);
        if (raw === undefined) return undefined;
        const rec = decodeOp(raw);
        if (typeof rec === 'string') return void corrupt('outbox', id, raw, rec);
        return structuredClone(rec);
      },
      addOp: async (rec) => {
        write();
        if (this.data.ops.has(rec.id))
          throw new FerryError('duplicate-id', `an operation with id ${JSON.stringify(rec.id)} is already stored`);
        setOp(rec.id, structuredClone(rec));
      },
      putOp: async (rec) => {
        write();
        setOp(rec.id, structuredClone(rec));
      },
      deleteOp: async (id) => {
        write();
        setOp(id, undefined);
      },
      appendWal: async (entry: WalEntry) => {
        write();
        const lsn = ++this.data.lastLsn;
        const rec: WalRecord = structuredClone({ ...entry, v: 1, lsn });
        this.data.wal.set(lsn, rec);
        undo.push(() => {
          this.data.wal.delete(lsn);
          this.data.lastLsn = lsn - 1;
        });
        return lsn;
      },
      laneOps: async (lane, afterSeq = -Infinity, limit) =>
        opsWhere((r) => r.laneKey !== undefined && r.laneKey[0] === lane && r.laneKey[1] > afterSeq)
          .sort((a, b) => a.seq - b.seq)
          .slice(0, limit),
      dueHeads: async (now, limit, from = -Infinity) =>
        opsWhere((r) => r.dueKey !== undefined && r.dueKey[0] <= now && r.dueKey[0] >= from)
          .sort((a, b) => cmpPair(a.dueKey!, b.dueKey!))
          .slice(0, limit),
      // Raw index keys, as IndexedDB's index holds them: an unreadable due head still says work is due.
      nextDueAt: async () =>
        min(
          [...this.data.ops.values()].flatMap((raw) => {
            const key = (raw as { dueKey?: unknown } | null)?.dueKey;
            return Array.isArray(key) && typeof key[0] === 'number' ? [key[0]] : [];
          }),
        ),
      expiredLeases: async (now, limit) =>
        opsWhere((r) => r.leaseUntil !== undefined && r.leaseUntil <= now)
          .sort((a, b) => a.leaseUntil! - b.leaseUntil!)
          .slice(0, limit),
      nextLeaseEnd: async () => min(opsWhere((r) => r.leaseUntil !== undefined).map((r) => r.leaseUntil!)),
      inflight: async (limit) =>
        opsWhere((r) => r.status === 'inflight')
          .sort((a, b) => a.seq - b.seq)
          .slice(0, limit),
      listOps: async ({ status, lane, user, limit = 1000 }: ListQuery) =>
        opsWhere(
          (r) =>
            (status === undefined || r.status === status) &&
            (lane === undefined || r.lane === lane) &&
            (user === undefined || r.user === user),
        )
          .sort((a, b) => a.seq - b.seq)
          .slice(0, limit),
      countByStatus: async () => {
        const counts: Record<OperationStatus, number> = { pending: 0, inflight: 0, done: 0, failed: 0 };
        for (const r of opsWhere(() => true)) counts[r.status]++;
        return counts;
      },
      walFrom: async (fromLsn, limit) => {
        const out: WalRecord[] = [];
        for (const [lsn, raw] of [...this.data.wal]) {
          if (lsn < fromLsn) continue;
          const rec = decodeWal(raw);
          if (typeof rec === 'string') corrupt('wal', lsn, raw, rec);
          else out.push(structuredClone(rec));
          if (out.length >= limit) break;
        }
        return out;
      },
      deleteWalBefore: async (before, limit = Infinity) => {
        write();
        // Undo runs backwards: re-sort after the deleted records are back.
        undo.push(() => this.#sortWal());
        let n = 0;
        for (const [lsn, raw] of [...this.data.wal]) {
          const at = (raw as { at?: unknown } | null)?.at;
          if ((typeof at === 'number' && at >= before) || n >= limit) break;
          this.data.wal.delete(lsn);
          undo.push(() => this.data.wal.set(lsn, raw));
          n++;
        }
        return n;
      },
      deleteDoneBefore: async (before, limit = Infinity) => {
        write();
        const old = opsWhere((r) => r.status === 'done' && r.updatedAt < before).slice(0, limit);
        for (const r of old) setOp(r.id, undefined);
        return old.length;
      },
      getMeta: async (key) => structuredClone(this.data.meta?.get(key)),
      putMeta: async (key, value) => {
        write();
        const meta = (this.data.meta ??= new Map());
        const had = meta.has(key);
        const before = meta.get(key);
        undo.push(() => (had ? meta.set(key, before) : meta.delete(key)));
        meta.set(key, value);
      },
      quarantined: async (limit) => structuredClone(this.data.quarantine.slice(0, limit)),
    };

    try {
      const result = await fn(tx);
      for (const lane of heal) {
        heal.delete(lane);
        await promoteNext(tx, lane);
      }
      return result;
    } catch (err) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      throw err;
    }
  }

  #sortWal(): void {
    const sorted = [...this.data.wal].sort((a, b) => a[0] - b[0]);
    this.data.wal.clear();
    for (const [k, v] of sorted) this.data.wal.set(k, v);
  }
}

function min(xs: number[]): number | undefined {
  return xs.length === 0 ? undefined : xs.reduce((a, b) => (b < a ? b : a));
}
