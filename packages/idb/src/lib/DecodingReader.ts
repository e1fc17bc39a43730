import { STORE } from '../schema.ts';
import type { Clock, QuarantinedRecord } from './core.ts';
import { laneOfRaw } from './core.ts';
import { next, request } from './request.ts';

/** The largest `count` getAll accepts (an unsigned long). */
const MAX_COUNT = 0xffffffff;

/**
 * The decoding reads of one IndexedDB transaction: every record read is decoded, and one that does not decode
 * is moved to the quarantine (readwrite) or skipped (readonly), and listed once in {@link DecodingReader.reports};
 * it is never thrown. A quarantined outbox record's lane goes to {@link DecodingReader.heal}.
 */
export class DecodingReader {
  /** Records found unreadable in this transaction, each once. */
  readonly reports: QuarantinedRecord[] = [];
  /** Lanes whose quarantined record may have been the head: the store promotes the op behind it before commit. */
  readonly heal = new Set<string>();
  readonly #reported = new Set<string>();
  readonly #store: (name: string) => IDBObjectStore;
  readonly #writable: boolean;
  readonly #clock: Clock;

  constructor(store: (name: string) => IDBObjectStore, writable: boolean, clock: Clock) {
    this.#store = store;
    this.#writable = writable;
    this.#clock = clock;
  }

  /**
   * Up to `limit` decoded records of `range`, in `source` order. One getAll
   * when nothing needs filtering and every record decodes; otherwise a
   * cursor, so that a skipped record does not shorten the answer.
   */
  async collect<T>(
    from: QuarantinedRecord['from'],
    source: IDBObjectStore | IDBIndex,
    range: IDBKeyRange | null,
    limit: number,
    decode: (raw: unknown) => T | string,
    keep?: (rec: T) => boolean,
  ): Promise<T[]> {
    if (!(limit > 0)) return [];
    if (keep === undefined) {
      const decoded = ((await request(source.getAll(range, countOf(limit)))) as unknown[]).map(decode);
      if (decoded.every((r) => typeof r !== 'string')) return decoded as T[];
    }
    const out: T[] = [];
    let c = await request(source.openCursor(range));
    while (c) {
      const rec = decode(c.value);
      if (typeof rec === 'string') await this.corrupt(from, c.primaryKey, c.value, rec);
      else if (keep === undefined || keep(rec)) out.push(rec);
      if (out.length >= limit) break;
      c = await next(c);
    }
    return out;
  }

  /** Moves an unreadable record aside (readwrite) and notes it for `onCorrupt`. */
  async corrupt(from: QuarantinedRecord['from'], key: IDBValidKey, raw: unknown, reason: string): Promise<void> {
    const q: QuarantinedRecord = { from, key: key as string | number, reason, at: this.#clock.now(), raw };
    if (this.#writable) {
      const lane = from === 'outbox' ? laneOfRaw(raw) : undefined;
      if (lane !== undefined) this.heal.add(lane);
      await request(this.#store(STORE.quarantine).add(q));
      // A cursor may stand on the record; deleting through the store leaves it usable.
      await request(this.#store(from).delete(key));
    }
    const id = `${from}\u0000${String(key)}`;
    if (!this.#reported.has(id)) {
      this.#reported.add(id);
      this.reports.push(q);
    }
  }
}

export function countOf(limit: number): number | undefined {
  return Number.isFinite(limit) ? Math.min(Math.max(Math.floor(limit), 1), MAX_COUNT) : undefined;
}

export function isQuarantined(raw: unknown): raw is QuarantinedRecord {
  if (typeof raw !== 'object' || raw === null) return false;
  const from = (raw as { from?: unknown }).from;
  return from === 'outbox' || from === 'wal';
}
