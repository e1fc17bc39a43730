import type { FerryClient } from '@ferry/client';
import type { QueryClient, QueryKey } from '@tanstack/query-core';
import { DeadLetterError } from './DeadLetterError.ts';

/**
 * The ids of the ops a mutation of this page waits on, per Ferry client: an op has at most one
 * mutation here, so restoring never shows an op twice. An id joins before its enqueue is sent.
 */
const waiting = new WeakMap<FerryClient, Set<string>>();

/** The ids of `ferry`'s ops that a mutation of this page waits on. */
export function waitedOn(ferry: FerryClient): Set<string> {
  let ids = waiting.get(ferry);
  if (!ids) waiting.set(ferry, (ids = new Set()));
  return ids;
}

/**
 * Waits for op `id` (already in {@link waitedOn}) to settle, then invalidates `invalidates`, done
 * or failed: resolves with the server's kept answer body once done, rejects with a
 * {@link DeadLetterError} once failed, and with `whenDone`'s error when the op is removed.
 */
export async function settle<TData>(
  ferry: FerryClient,
  id: string,
  client: QueryClient,
  invalidates: readonly QueryKey[],
): Promise<TData> {
  let op;
  try {
    op = await ferry.whenDone(id);
  } finally {
    waitedOn(ferry).delete(id);
  }
  // Not awaited: a refetch that waits for the network must not hold the mutation pending.
  for (const queryKey of invalidates) void client.invalidateQueries({ queryKey });
  if (op.status === 'failed') throw new DeadLetterError(op);
  return op.answer?.body as TData;
}
