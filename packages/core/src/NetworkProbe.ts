/**
 * Tells the SyncWorker whether sending is worth trying. It caches nothing:
 * it asks its source on every call, so the network coming back is seen at
 * once, and pushes changes to listeners at once.
 */
export interface OnlineSignal {
  isOnline(): boolean;
  /** Calls `fn` whenever the state may have changed; returns a cleanup. */
  subscribe(fn: () => void): () => void;
}

export class NetworkProbe {
  readonly #source: OnlineSignal;

  /** @param source a function returning the state, or a signal that also pushes changes */
  constructor(source: OnlineSignal | (() => boolean) = () => true) {
    this.#source = typeof source === 'function' ? { isOnline: source, subscribe: () => () => {} } : source;
  }

  isOnline(): boolean {
    try {
      return this.#source.isOnline();
    } catch {
      // A probe that throws must not stop the worker; assume online and let the send decide.
      return true;
    }
  }

  /** Calls `fn` when the network comes back; returns a cleanup. */
  onOnline(fn: () => void): () => void {
    let last = this.isOnline();
    return this.#source.subscribe(() => {
      const now = this.isOnline();
      if (now && !last) fn();
      last = now;
    });
  }
}
