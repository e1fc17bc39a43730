import type { Operation } from '@ferry/core';
import { useEffect, useState } from 'react';
import { useFerry } from './FerryProvider.ts';

export interface UseOpOptions {
  /**
   * While the op is not settled (not done, failed or gone), how often it is read again (ms): a
   * broadcast can be lost (a worker stopped between its commit and its broadcast). It is also read
   * again when the page turns visible, gets the focus, or comes back online.
   * @default 10000
   */
  recheckMs?: number;
}

/** Gone, delivered or failed for good: nothing more happens to it unless someone acts. */
const settled = (op: Operation | null | undefined): boolean => {
  return op === null || op?.status === 'done' || op?.status === 'failed';
};

/**
 * One op, kept current: `undefined` until the first `get` answers, `null`
 * when there is no such op (never enqueued, removed, or compacted), else
 * the op as stored. Each broadcast change of this op asks for it again (one
 * `get`, so the whole op is current, not only what the change carries);
 * changes of other ops cost nothing. While it is not settled, it is also
 * read again on a quiet timer and when the page turns visible, gets the
 * focus or comes back online. Stops listening on unmount.
 */
export function useOp(id: string, options: UseOpOptions = {}): Operation | null | undefined {
  const client = useFerry();
  const recheckMs = options.recheckMs ?? 10_000;
  const [state, setState] = useState<{ id: string; op: Operation | null | undefined }>({ id, op: undefined });
  useEffect(() => {
    let live = true;
    let asked = 0;
    let last: Operation | null | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = settled(last) ? undefined : setTimeout(load, recheckMs);
    };
    const show = (op: Operation | null): void => {
      last = op;
      setState({ id, op });
      arm();
    };
    function load(): void {
      const n = ++asked;
      client.get(id).then(
        (op) => {
          // Only the latest answer: an older one may have been overtaken.
          if (live && n === asked) show(op ?? null);
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
        show(null);
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
  }, [client, id, recheckMs]);
  // A new id shows undefined until its op is loaded, never the previous id's op.
  return state.id === id ? state.op : undefined;
}
