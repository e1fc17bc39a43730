import type { FerryClient } from '../types.ts';
import type { Operation } from '@ferry/core';

/** Gone, delivered or failed for good: nothing more happens to it unless someone acts. */
const settled = (op: Operation | null | undefined): boolean => {
  return op === null || op?.status === 'done' || op?.status === 'failed';
};

/**
 * Keeps `show` given op `id` as stored, or `null` when there is none, until the returned stop is
 * called. Each broadcast change of this op asks for it again (one `get`, so the whole op is
 * current); changes of other ops cost nothing. While it is not settled, it is also read again every
 * `recheckMs` and when the page turns visible, gets the focus or comes back online: a broadcast
 * can be lost (a worker stopped between its commit and its broadcast).
 */
export function watchOp(
  client: FerryClient,
  id: string,
  recheckMs: number,
  show: (op: Operation | null) => void,
): () => void {
  let live = true;
  let asked = 0;
  let last: Operation | null | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = settled(last) ? undefined : setTimeout(load, recheckMs);
  };
  const shown = (op: Operation | null): void => {
    last = op;
    show(op);
    arm();
  };
  function load(): void {
    const n = ++asked;
    client.get(id).then(
      (op) => {
        // Only the latest answer: an older one may have been overtaken.
        if (live && n === asked) shown(op ?? null);
      },
      () => {
        // The worker did not answer: the op stays as last known, and the next change or re-check asks again.
        if (live && n === asked) arm();
      },
    );
  }
  const off = client.subscribe((change) => {
    if (change.op.id !== id) return;
    if (change.type === 'remove') {
      asked++;
      shown(null);
    } else load();
  });
  const again = (): void => {
    if (!settled(last) && (typeof document !== 'object' || document.visibilityState !== 'hidden')) load();
  };
  const page = typeof addEventListener === 'function' && typeof document === 'object';
  if (page) {
    addEventListener('online', again);
    addEventListener('focus', again);
    document.addEventListener('visibilitychange', again);
  }
  load();
  return () => {
    live = false;
    clearTimeout(timer);
    off();
    if (page) {
      removeEventListener('online', again);
      removeEventListener('focus', again);
      document.removeEventListener('visibilitychange', again);
    }
  };
}
