import type { Operation } from '@ferry/core';
import { useEffect, useState } from 'react';
import { useFerry } from './FerryProvider.ts';

/**
 * One op, kept current: `undefined` until the first `get` answers, `null`
 * when there is no such op (never enqueued, discarded, or compacted), else
 * the op as stored. Each broadcast change of this op asks for it again (one
 * `get`, so the whole op is current, not only what the change carries);
 * changes of other ops cost nothing. Stops listening on unmount.
 */
export function useOp(id: string): Operation | null | undefined {
  const client = useFerry();
  const [state, setState] = useState<{ id: string; op: Operation | null | undefined }>({ id, op: undefined });
  useEffect(() => {
    let live = true;
    let asked = 0;
    const load = (): void => {
      const n = ++asked;
      client.get(id).then(
        (op) => {
          // Only the latest answer: an older one may have been overtaken.
          if (live && n === asked) setState({ id, op: op ?? null });
        },
        () => {
          // The worker did not answer: the op stays as last known, and the next change asks again.
        },
      );
    };
    const off = client.subscribe((change) => {
      if (change.op.id !== id) return;
      if (change.type === 'discard') {
        asked++;
        setState({ id, op: null });
      } else load();
    });
    load();
    return () => {
      live = false;
      off();
    };
  }, [client, id]);
  // A new id shows undefined until its op is loaded, never the previous id's op.
  return state.id === id ? state.op : undefined;
}
