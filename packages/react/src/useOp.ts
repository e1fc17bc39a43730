import type { Operation } from '@ferry/core';
import { useEffect, useState } from 'react';
import { watchOp } from '@ferry/client/watch';
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
  useEffect(() => watchOp(client, id, recheckMs, (op) => setState({ id, op })), [client, id, recheckMs]);
  // A new id shows undefined until its op is loaded, never the previous id's op.
  return state.id === id ? state.op : undefined;
}
