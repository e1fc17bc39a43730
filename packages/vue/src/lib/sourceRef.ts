import type { ShallowRef } from 'vue';
import { onScopeDispose, shallowRef } from 'vue';
import { inScope, onServer } from './inScope.ts';

/** A snapshot source, as `createFerryStatus` returns: calling it returns the snapshot, `subscribe` tells of a new one. */
export interface SnapshotSource<T> {
  (): T;
  subscribe(onChange: () => void): () => void;
}

/**
 * A shallow ref that holds `source()`, subscribed to it until the current scope (a component's
 * setup, an `effectScope`) ends; nothing is cached here but the ref's own value. On a server, the
 * first snapshot, not subscribed.
 */
export function sourceRef<T>(source: SnapshotSource<T>, name: string): Readonly<ShallowRef<T>> {
  inScope(name);
  const ref = shallowRef(source());
  if (onServer()) return ref;
  onScopeDispose(source.subscribe(() => (ref.value = source())));
  return ref;
}
