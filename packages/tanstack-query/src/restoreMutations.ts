import type { FerryClient } from '@ferry/client';
import type { Operation } from '@ferry/core';
import { FerryError } from '@ferry/core';
import type { MutationState, QueryClient } from '@tanstack/query-core';
import type { Definition, FerryMutationError } from './ferryMutation.ts';
import { definitions } from './ferryMutation.ts';
import { settle, waitedOn } from './settle.ts';

/** The most ops `list` returns in one call, done and failed ones included. */
const LIST_LIMIT = 10_000;

/** Whose ops a restore brings back. */
export interface RestoreOptions {
  /**
   * The signed-in user (`createFerryIdentity(ferry).user` from `@ferry/client/identity`). Default: none,
   * for an app without users: the ops enqueued with no user.
   */
  user?: string | null;
}

/**
 * The unsettled ops of `user`, in enqueue order, from one `list` of every status: an op moves between pending and
 * in flight at any time (sent, failed and waiting again), so a list per status could miss it between the two reads.
 */
async function unsettled(ferry: FerryClient, user: string | undefined): Promise<Operation[]> {
  const ops = await ferry.list({ limit: LIST_LIMIT });
  return ops
    .filter((op) => (op.status === 'pending' || op.status === 'inflight') && op.user === user)
    .sort((a, b) => a.seq - b.seq);
}

/** A pending mutation that, run, waits for `op`: `execute` skips `onMutate` for a mutation already pending. */
function restore(client: QueryClient, def: Definition, op: Operation): void {
  const options: Definition['options'] = {
    ...def.options,
    mutationFn: (_variables, context) => settle(def.ferry, op.id, context.client, def.invalidates),
  };
  const state: MutationState<unknown, FerryMutationError, unknown, unknown> = {
    context: undefined,
    data: undefined,
    error: null,
    failureCount: 0,
    failureReason: null,
    isPaused: false,
    status: 'pending',
    variables: op.payload,
    submittedAt: op.createdAt,
  };
  const mutation = client.getMutationCache().build(client, options, state);
  // Its outcome is the mutation's state and callbacks; nobody awaits this promise.
  mutation.execute(op.payload).catch(() => {});
}

/**
 * Puts a pending mutation in `client`'s mutation cache for each unsettled op (pending or in flight)
 * of the definitions' kinds, read from Ferry's `list` for `options.user` (the signed-in user, once
 * `setUser` resolved); each settles when its op does, as the mutation that enqueued it would have: its
 * `variables` are the op's payload, it runs the definition's `onSuccess`, `onError` and `onSettled`
 * (not `onMutate`) and invalidates its keys. An op a mutation of this page already waits on is
 * skipped, so calling it again adds only ops enqueued elsewhere since. Resolves with how many it
 * added. Rejects with `invalid-argument` for `mutations` that are not an array, a definition `ferryMutation`
 * did not make, or two of one kind and client, and with Ferry's error when `list` fails.
 */
export async function restoreMutations(
  client: QueryClient,
  mutations: readonly object[],
  options: RestoreOptions = {},
): Promise<number> {
  if (!Array.isArray(mutations))
    throw new FerryError('invalid-argument', 'restoreMutations takes an array of mutations');
  const byClient = new Map<FerryClient, Map<string, Definition>>();
  for (const options of mutations) {
    const def = definitions.get(options);
    if (!def) throw new FerryError('invalid-argument', 'restoreMutations takes the options ferryMutation returned');
    const kinds = byClient.get(def.ferry) ?? new Map<string, Definition>();
    if (kinds.has(def.kind) && kinds.get(def.kind) !== def)
      throw new FerryError('invalid-argument', `two mutations of kind ${JSON.stringify(def.kind)}`);
    byClient.set(def.ferry, kinds.set(def.kind, def));
  }
  let added = 0;
  for (const [ferry, kinds] of byClient) {
    const ids = waitedOn(ferry);
    for (const op of await unsettled(ferry, options.user ?? undefined)) {
      const def = kinds.get(op.kind);
      if (!def || ids.has(op.id)) continue;
      ids.add(op.id);
      restore(client, def, op);
      added++;
    }
  }
  return added;
}
