import type { FerryClient } from '@ferry/client';
import type { FerryError, HttpMethod, JsonValue } from '@ferry/core';
import { FerryError as Err } from '@ferry/core';
import type { MutationOptions, QueryKey } from '@tanstack/query-core';
import { nanoid } from 'nanoid';
import type { DeadLetterError } from './DeadLetterError.ts';
import { settle, waitedOn } from './settle.ts';

/** What a Ferry mutation rejects with: a dead letter, or Ferry's typed error (`invalid-operation`, `not-found`...). */
export type FerryMutationError = DeadLetterError | FerryError;

/** The options of a Ferry mutation: Query's own, but the ones Ferry takes over. */
export type FerryMutationSpec<TVariables, TData = unknown, TOnMutateResult = unknown> = Omit<
  MutationOptions<TData, FerryMutationError, TVariables, TOnMutateResult>,
  'mutationFn' | 'networkMode' | 'retry' | 'retryDelay' | 'scope' | '_defaulted'
> & {
  /** The op's `kind`: restoring after a reload finds a mutation's definition by it, so one definition per kind. */
  kind: string;
  /** Where the op goes: a same-origin path, or one made from the variables (`/api/todos/42`). */
  target: string | ((variables: TVariables) => string);
  /** @default 'POST' */
  method?: HttpMethod;
  /** The op's lane: ops of a lane are delivered in enqueue order, across reloads. @default Ferry's `default` lane */
  lane?: string | ((variables: TVariables) => string);
  /**
   * The op's payload, JSON. A mutation restored after a reload has this payload as its `variables`.
   * @default the variables themselves
   */
  payload?: (variables: TVariables) => JsonValue;
  /** Query keys to invalidate once the op settles, done or failed. @default none */
  invalidates?: readonly QueryKey[];
};

/** A definition as `restoreMutations` needs it. */
export interface Definition {
  ferry: FerryClient;
  kind: string;
  invalidates: readonly QueryKey[];
  options: MutationOptions<unknown, FerryMutationError, unknown, unknown>;
}

/** The definition behind each options object `ferryMutation` returned. */
export const definitions = new WeakMap<object, Definition>();

const pick = <V>(value: string | ((variables: V) => string) | undefined, variables: V): string | undefined =>
  typeof value === 'function' ? value(variables) : value;

/**
 * Options for `useMutation` (or `mutationOptions`, or `new MutationObserver`) whose `mutationFn`
 * enqueues an op through Ferry and settles when the op does: it resolves with the body of the
 * server's kept answer once the op is done, rejects with a {@link DeadLetterError} once it failed.
 * The op's id is made before the enqueue and is the mutation's: the op, not the tab, carries the
 * mutation, so it is delivered whatever happens to the page, and `restoreMutations` shows it again
 * after a reload.
 *
 * `networkMode: 'always'` and `retry: false`: Ferry waits for the network and retries, Query does
 * neither, so nothing is sent twice. No `scope`: Query would hold a scoped mutation's `mutationFn`,
 * its enqueue too, until the one before it settled, keeping it in memory only; Ferry's `lane` keeps
 * the order instead. Throws `invalid-argument` for a `kind` or `target` that is not a non-empty string
 * (or a function for `target`), or `invalidates` that is not an array of query keys.
 */
export function ferryMutation<TVariables, TData = unknown, TOnMutateResult = unknown>(
  ferry: FerryClient,
  spec: FerryMutationSpec<TVariables, TData, TOnMutateResult>,
): MutationOptions<TData, FerryMutationError, TVariables, TOnMutateResult> {
  const { kind, target, method, lane, payload, invalidates = [], ...rest } = spec;
  if (typeof kind !== 'string' || kind === '') throw new Err('invalid-argument', 'kind must be a non-empty string');
  if (typeof target !== 'function' && (typeof target !== 'string' || target === ''))
    throw new Err('invalid-argument', 'target must be a non-empty string or a function of the variables');
  if (!Array.isArray(invalidates) || !invalidates.every((key) => Array.isArray(key)))
    throw new Err('invalid-argument', 'invalidates must be an array of query keys');
  const options: MutationOptions<TData, FerryMutationError, TVariables, TOnMutateResult> = {
    mutationKey: ['ferry', kind],
    ...rest,
    networkMode: 'always',
    retry: false,
    mutationFn: async (variables, context) => {
      const id = nanoid();
      const ids = waitedOn(ferry);
      ids.add(id);
      try {
        const opLane = pick(lane, variables);
        await ferry.enqueue({
          id,
          kind,
          target: pick(target, variables) as string,
          payload: payload ? payload(variables) : (variables as JsonValue),
          ...(method !== undefined && { method }),
          ...(opLane !== undefined && { lane: opLane }),
        });
      } catch (err) {
        // After a worker-timeout the op may be stored: the mutation follows it if it is.
        if (err instanceof Err && err.code === 'worker-timeout')
          return settle<TData>(ferry, id, context.client, invalidates).catch((e: unknown) => {
            throw e instanceof Err && e.code === 'not-found' ? err : e;
          });
        ids.delete(id);
        throw err;
      }
      return settle<TData>(ferry, id, context.client, invalidates);
    },
  };
  definitions.set(options, { ferry, kind, invalidates, options: options as Definition['options'] });
  return options;
}
