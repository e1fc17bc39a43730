import type { OutboxStore } from './OutboxStore.ts';
import type { WalRecord } from './WalRecord.ts';

/** How many records a replay reads per transaction. */
const PAGE = 500;

/**
 * Read side of the write-ahead log. Appends happen only inside the Outbox's
 * transitions, in the same transaction as the outbox row they describe.
 */
export class Wal {
  readonly #store: OutboxStore;

  constructor(store: OutboxStore) {
    this.#store = store;
  }

  /**
   * Visits records with `lsn >= fromLsn` in LSN order (after compaction, from
   * the oldest kept record) and returns the LSN to resume from: one past the
   * last record visited, so that resuming from it never visits a record twice.
   *
   * For `put` and `requeue` records, `op.seq` is the record's own LSN.
   */
  async replay(fromLsn: number, fn: (record: WalRecord) => void): Promise<number> {
    let next = fromLsn;
    for (;;) {
      const page = await this.#store.transaction('readonly', (tx) => tx.walFrom(next, PAGE));
      for (const rec of page) {
        if (rec.op) rec.op.seq = rec.lsn;
        fn(rec);
        next = rec.lsn + 1;
      }
      if (page.length < PAGE) return next;
    }
  }

  /** All records from `fromLsn`, for tests and inspection. */
  async records(fromLsn = 0): Promise<WalRecord[]> {
    const out: WalRecord[] = [];
    await this.replay(fromLsn, (r) => out.push(r));
    return out;
  }
}
