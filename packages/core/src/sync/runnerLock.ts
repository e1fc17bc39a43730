/** The part of the Web Locks API a runner uses. */
export interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal }, fn: (lock: unknown) => Promise<T>): Promise<T>;
}

/** The exclusive lock the runners of one app share, so that one of them drains at a time. */
export interface RunnerLock {
  /** Read at each drain; undefined: that drain runs unlocked. */
  locks: () => LockManagerLike | undefined;
  /** The lock's name (an app's `FerryNames.lock`). */
  name: string;
}

/**
 * One drain under `lock`. Without a lock manager, another runner may be alive: `drain` runs unlocked and
 * leaves other runners' leases to expire. With one, `drain` runs holding the lock and takes back every lease
 * not on this runner's wire (`orphans`): whoever held the lock before is gone or done. `signal` gives up a
 * request still waiting for the lock.
 */
export function drainUnder(
  lock: RunnerLock | undefined,
  signal: AbortSignal,
  drain: (options: { orphans?: boolean }) => Promise<number>,
): Promise<number> {
  const locks = lock?.locks();
  if (!locks || !lock) return drain({});
  return locks.request(lock.name, { signal }, () => drain({ orphans: true }));
}

/**
 * Web Locks within one realm, for tests: one exclusive lock for every name, granted in request order; an
 * aborted request that is still waiting rejects and never runs. `held` counts the callbacks running under
 * the lock (0 or 1).
 */
export function memoryLocks(): LockManagerLike & { readonly held: number } {
  let tail: Promise<unknown> = Promise.resolve();
  let held = 0;
  return {
    get held() {
      return held;
    },
    request<T>(_name: string, options: { signal?: AbortSignal }, fn: (lock: unknown) => Promise<T>): Promise<T> {
      const { signal } = options;
      const granted = tail;
      let done: () => void = () => {};
      const released = new Promise<void>((resolve) => (done = resolve));
      tail = granted.then(() => released);
      return new Promise<T>((resolve, reject) => {
        const abort = (): void => reject(signal?.reason);
        if (signal?.aborted) abort();
        signal?.addEventListener('abort', abort, { once: true });
        void granted.then(async () => {
          signal?.removeEventListener('abort', abort);
          // Given up while waiting: the lock passes on at once.
          if (signal?.aborted) return done();
          held++;
          try {
            resolve(await fn({}));
          } catch (err) {
            reject(err);
          } finally {
            held--;
            done();
          }
        });
      });
    },
  };
}
