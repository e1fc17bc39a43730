import type { Clock, Timers } from '@ferry/core';
import { FerryError } from '@ferry/core';
import type { RequestBody, Results } from '@ferry/core/protocol';
import type { ChangeFeed } from './changeFeed.ts';

/** A typed request to the host. */
export type Request = <K extends RequestBody['type']>(body: Extract<RequestBody, { type: K }>) => Promise<Results[K]>;

/** Who is signed in on a page, as a client sees the identity plugged into it. */
export interface UserSlot {
  /** The user signed in here, or null. */
  readonly user: string | null;
  /** What an enqueue is stamped with; throws a FerryError to refuse the enqueue. */
  stamp(named: string | undefined): { user?: string };
  /** The page came back online or visible. */
  woke(): void;
}

/**
 * What the entries that extend a client (`@ferry/client/status`, `@ferry/client/identity`) reach in it:
 * its requests, its change feed, its time, and the hooks they plug into. The client's core knows
 * only these hooks, never the entries, so an app that imports neither bundles neither.
 */
export interface ClientParts {
  readonly request: Request;
  readonly feed: ChangeFeed;
  readonly clock: Clock;
  readonly timers: Timers;
  /** The identity plugged in: at most one per client. */
  identity?: UserSlot;
  /** Called after the identity's user changed (a sign-in, a sign-out, here or in another tab). */
  readonly userChanged: Set<() => void>;
  /** Called by `client.close()`. */
  readonly closing: Set<() => void>;
}

const parts = new WeakMap<object, ClientParts>();

/** Makes `p` the parts of `client`. */
export function attachParts(client: object, p: ClientParts): void {
  parts.set(client, p);
}

/** The parts of a client made by `createFerryClient`; `invalid-argument` for anything else. */
export function partsOf(client: object): ClientParts {
  const p = parts.get(client);
  if (!p) throw new FerryError('invalid-argument', 'expected a client made by createFerryClient');
  return p;
}
