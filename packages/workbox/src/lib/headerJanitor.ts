import type { Change } from '@ferry/core';
import type { HeaderStore } from './headerStore.ts';

/** The change took the op out of the queue: delivered, or deleted (`remove`, a sign-out that discards). */
const leaves = (change: Change): boolean => {
  return change.op.status === 'done' || change.type === 'remove';
};

/**
 * Deletes an op's kept headers once the op leaves the queue. A failed op
 * keeps them (a retry sends it again). At the first change a worker sees,
 * the headers of ops that left while no worker watched (stopped between a
 * commit and the delete) are swept.
 */
export class HeaderJanitor {
  readonly #store: HeaderStore;
  readonly #queued: (opId: string) => Promise<boolean>;
  readonly #onError: (err: unknown) => void;
  #swept = false;

  /** `queued(id)`: whether the op is still in the queue (pending, in flight or failed). */
  constructor(store: HeaderStore, queued: (opId: string) => Promise<boolean>, onError: (err: unknown) => void) {
    this.#store = store;
    this.#queued = queued;
    this.#onError = onError;
  }

  onChange(change: Change): void {
    if (!this.#swept) {
      this.#swept = true;
      void this.sweep().catch(this.#onError);
    }
    if (leaves(change)) void this.#store.delete(change.op.id).catch(this.#onError);
  }

  /** Deletes the headers of every op no longer queued. */
  async sweep(): Promise<void> {
    for (const id of await this.#store.ids()) if (!(await this.#queued(id))) await this.#store.delete(id);
  }
}
