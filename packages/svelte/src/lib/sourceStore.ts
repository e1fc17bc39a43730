import type { Readable } from 'svelte/store';
import { readable } from 'svelte/store';

/** A snapshot source, as `createFerryStatus` returns: calling it returns the snapshot, `subscribe` tells of a new one. */
export interface SnapshotSource<T> {
  (): T;
  subscribe(onChange: () => void): () => void;
}

/**
 * A readable store over `source`: its first subscriber subscribes to the source, its last one
 * unsubscribing unsubscribes; nothing is cached here but the store's own current value.
 */
export function sourceStore<T>(source: SnapshotSource<T>): Readable<T> {
  return readable(source(), (set) => {
    const off = source.subscribe(() => set(source()));
    // The snapshot may have changed since the store was made or last stopped.
    set(source());
    return off;
  });
}
