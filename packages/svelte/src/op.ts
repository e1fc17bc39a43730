import type { FerryClient } from '@ferry/client';
import type { Operation } from '@ferry/core';
import type { Readable } from 'svelte/store';
import { readable } from 'svelte/store';
import { watchOp } from '@ferry/client/watch';

/** Options of {@link op}. */
export interface OpOptions {
  /**
   * While the op is not settled (not done, failed or gone), how often it is read again (ms): a
   * broadcast can be lost (a worker stopped between its commit and its broadcast). It is also read
   * again when the page turns visible, gets the focus, or comes back online.
   * @default 10000
   */
  recheckMs?: number;
}

/**
 * One op as a readable store, kept current while it has subscribers: `undefined` until the first
 * `get` answers, `null` when there is no such op (never enqueued, removed, or compacted), else the
 * op as stored. Each broadcast change of this op asks for it again (one `get`); changes of other
 * ops cost nothing. When its last subscriber leaves, it stops listening and keeps its last value.
 *
 * @param client - the app's client (`createFerryClient()`)
 * @param id - the op's id, as `client.enqueue` resolved it
 */
export function op(client: FerryClient, id: string, options: OpOptions = {}): Readable<Operation | null | undefined> {
  const recheckMs = options.recheckMs ?? 10_000;
  return readable<Operation | null | undefined>(undefined, (set) => watchOp(client, id, recheckMs, set));
}
