import { FerryError } from '../FerryError.ts';
import type { Operation } from '../Operation.ts';
import type { OutboxStore } from '../OutboxStore.ts';
import type { Clock } from '../Platform.ts';
import { fold } from '../state/edit.ts';
import { IdCollision, StoredDuplicates, insert, isRepeat } from '../state/insert.ts';
import type { Change } from '../state/lane.ts';
import type { ValidInput } from '../lib/validateInput.ts';

export interface GroupCommitOptions {
  store: OutboxStore;
  clock: Clock;
  /** Most ops one transaction writes. */
  maxBatch: number;
  /** The cap a merged coalescing payload must stay under. */
  maxPayloadBytes: number;
  /** Told of the changes each transaction committed. */
  emit: (changes: readonly Change[]) => void;
}

interface Waiter {
  input: ValidInput;
  resolve: (op: Operation) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes concurrent enqueues together: the inputs added in one task share a
 * transaction, and each caller is acknowledged after that commit. A
 * coalescing enqueue reads its lane first, so it gets a transaction of its
 * own, in its turn; order between callers is kept.
 */
export class GroupCommit {
  readonly #o: GroupCommitOptions;
  #queue: Waiter[] = [];
  #flushing = false;

  constructor(options: GroupCommitOptions) {
    this.#o = options;
  }

  /** Resolves with the stored op (or the op a repeat or a fold resolved to) once its transaction committed. */
  add(input: ValidInput): Promise<Operation> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // One microtask lets every enqueue of the current task join the batch.
        queueMicrotask(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      let batch = this.#queue.splice(0, this.#o.maxBatch);
      // A coalescing enqueue reads its lane first: it gets a transaction of its own, in its turn.
      const cut = batch.findIndex((w) => w.input.coalesceKey !== undefined);
      if (cut === 0) {
        this.#queue.unshift(...batch.slice(1));
        await this.#fold(batch[0] as Waiter);
        continue;
      }
      if (cut > 0) {
        this.#queue.unshift(...batch.slice(cut));
        batch = batch.slice(0, cut);
      }
      const now = this.#o.clock.now();
      try {
        // Optimistic first: no look-up of each id (one read per op on the hot path); a stored id makes
        // the add fail, and the batch goes again with the look-up, which tells repeats from duplicates.
        const { changes } = await this.#o.store
          .transaction('readwrite', (tx) => insert(tx, { items: batch.map((w) => w.input), now, checkIds: false }))
          .catch((err: unknown) => {
            if (!(err instanceof IdCollision)) throw err;
            return this.#o.store.transaction('readwrite', (tx) =>
              insert(tx, { items: batch.map((w) => w.input), now }),
            );
          });
        changes.forEach((c, i) => {
          const waiter = batch[i] as Waiter;
          if (c instanceof FerryError) waiter.reject(c);
          else waiter.resolve(c.op);
        });
        this.#o.emit(changes.filter((c): c is Change => !(c instanceof FerryError) && c.type !== 'repeat'));
      } catch (err) {
        if (err instanceof StoredDuplicates) {
          // Nothing was written. A repeat of a stored op succeeds with it (a client that timed out
          // enqueues again under the same id); another op under a stored id is refused. The rest goes
          // again at the front.
          const dups = batch.filter((w) => err.stored.has(w.input.id));
          for (const w of dups) {
            const op = err.stored.get(w.input.id) as Operation;
            if (isRepeat(w.input, op)) w.resolve(op);
            else
              w.reject(
                new FerryError('duplicate-id', `an operation with id ${JSON.stringify(w.input.id)} is already stored`),
              );
          }
          batch = batch.filter((w) => !err.stored.has(w.input.id));
          this.#queue.unshift(...batch);
          continue;
        }
        for (const w of batch) w.reject(err);
      }
    }
    this.#flushing = false;
  }

  async #fold(w: Waiter): Promise<void> {
    try {
      const change = await this.#o.store.transaction('readwrite', (tx) =>
        fold(tx, w.input, this.#o.clock.now(), this.#o.maxPayloadBytes),
      );
      if (change instanceof FerryError) return w.reject(change);
      if (change.type !== 'repeat') this.#o.emit([change]);
      w.resolve(change.op);
    } catch (err) {
      if (err instanceof StoredDuplicates) {
        const op = err.stored.get(w.input.id) as Operation;
        if (isRepeat(w.input, op)) w.resolve(op);
        else
          w.reject(
            new FerryError('duplicate-id', `an operation with id ${JSON.stringify(w.input.id)} is already stored`),
          );
        return;
      }
      w.reject(err);
    }
  }
}
