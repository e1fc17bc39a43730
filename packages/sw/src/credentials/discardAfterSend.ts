import type { Change, Outbox } from '@ferry/core';
import { FerryError } from '@ferry/core';

/** The store meta key under which the ids wait. */
const META = 'discard-after-send';

/**
 * The ops a sign-out with `discard: true` found in flight: their send was
 * under way with the user's credentials, so they settle first, and each one
 * that was not delivered (back to pending, or failed) is then deleted; a
 * delivered one stays done. The ids are kept in the store's meta, so that an
 * op whose worker was stopped meanwhile (its lease expires, it is pending
 * again, held for want of credentials) is deleted at the next `sweep`, which
 * the host runs before it releases anyone's ops for new credentials.
 */
export class DiscardAfterSend {
  readonly #outbox: Outbox;
  readonly #onError: (err: unknown) => void;
  #ids: Promise<Set<string>> | undefined;
  /** Writes of the meta record, one after the other. */
  #writing: Promise<void> = Promise.resolve();

  constructor(outbox: Outbox, onError: (err: unknown) => void) {
    this.#outbox = outbox;
    this.#onError = onError;
  }

  /** Deletes `ids` once each settles undelivered; resolves once they are written down. `live`: as in {@link sweep}. */
  async add(ids: readonly string[], live: ReadonlySet<number>): Promise<void> {
    if (ids.length === 0) return;
    const set = await this.#load();
    for (const id of ids) set.add(id);
    await this.#save(set);
    // An op may have settled between the listing and the line above: look at each now.
    await this.sweep(live);
  }

  /** Every change the outbox commits (the host subscribes this): an op of the list that left `inflight` settles. */
  onChange(change: Change): void {
    const ids = this.#ids;
    if (!ids || change.op.status === 'inflight') return;
    void ids.then((set) => (set.has(change.op.id) ? this.#settle(set, change.op.id) : undefined)).catch(this.#onError);
  }

  /**
   * Settles every op of the list that is not in flight now. An op whose lease ran out is not in flight: its
   * worker was stopped mid-send; it is requeued first (as a drain would, except the leases in `live`, this
   * worker's own sends) so that no drain claims it again before it is deleted.
   */
  async sweep(live: ReadonlySet<number>): Promise<void> {
    const set = await this.#load();
    if (set.size === 0) return;
    await this.#outbox.delivery.requeueExpired(live);
    for (const id of [...set]) {
      const op = await this.#outbox.get(id);
      if (op?.status !== 'inflight') await this.#settle(set, id);
    }
  }

  async #settle(set: Set<string>, id: string): Promise<void> {
    const op = await this.#outbox.get(id);
    if (op?.status === 'inflight') return;
    if (op && op.status !== 'done') {
      try {
        await this.#outbox.discardUser(op.user ?? '', [id]);
      } catch (err) {
        // Claimed again meanwhile (it is held at its send: the user has no credentials): its next settle.
        if (err instanceof FerryError && err.code === 'invalid-state') return;
        if (!(err instanceof FerryError && err.code === 'not-found')) throw err;
      }
    }
    if (set.delete(id)) await this.#save(set);
  }

  #load(): Promise<Set<string>> {
    this.#ids ??= this.#outbox.store
      .transaction('readonly', (tx) => tx.getMeta(META))
      .then((raw) => {
        try {
          const list: unknown = typeof raw === 'string' ? JSON.parse(raw) : [];
          return new Set(Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string') : []);
        } catch {
          return new Set<string>();
        }
      });
    return this.#ids;
  }

  #save(set: Set<string>): Promise<void> {
    const value = JSON.stringify([...set]);
    const write = (): Promise<void> => this.#outbox.store.transaction('readwrite', (tx) => tx.putMeta(META, value));
    this.#writing = this.#writing.then(write);
    return this.#writing;
  }
}
