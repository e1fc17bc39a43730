import { FerryError } from '@ferry/core';
import type { CredentialsInput, SignOutResult } from '@ferry/core/protocol';
import type { UserMessage } from './lib/changeFeed.ts';
import type { CredentialsProvider } from './lib/identity.ts';
import { identity } from './lib/identity.ts';
import { partsOf } from './lib/parts.ts';
import type { FerryClient } from './types.ts';

export type { CredentialsProvider, CredentialsRequest } from './lib/identity.ts';

export interface FerryIdentityOptions {
  /**
   * Gives the worker the signed-in user's credentials whenever it needs them:
   * at `setUser`, and when the worker asks (none yet, expired, or refused by
   * the server). Return `{ headers, expiresAt? }`, typically after refreshing
   * a token, or undefined when there are none (the user's ops then wait,
   * spending nothing, until the next ask or `setCredentials`). A provider that
   * throws is the same as undefined. Asked only for the user signed in here.
   * @default undefined: credentials come from `setCredentials` alone
   */
  credentials?: CredentialsProvider;
  /**
   * Called when the user signed in on this page is signed out in another tab (a sign-out anywhere is a
   * sign-out everywhere): the page stops stamping and giving credentials for them, and an `enqueue` that
   * names no user rejects with `signed-out` until `setUser` is called again. Show the sign-in screen here.
   * @default undefined
   */
  onSignedOut?: (user: string) => void;
}

/** Who is signed in on the page, and their credentials: `createFerryIdentity(client)`. */
export interface FerryIdentity {
  /**
   * Says who is signed in on this page: every later `enqueue` of the client is
   * stamped with this `user` (unless the op names one), and the worker sends
   * those ops only with that user's credentials. `null`: nobody (ops are
   * nobody's). With a `credentials` provider, it is asked for the user's
   * credentials at once. Rejects with `invalid-argument` for anything but a
   * non-empty string or null.
   */
  setUser(user: string | null): Promise<void>;
  /** The user `setUser` set, or null. */
  readonly user: string | null;
  /**
   * Hands the worker `user`'s credentials for their API (`origin`: the app's
   * own unless given; an allow-listed one otherwise). Kept in the worker's
   * memory, never in an op; the user's held ops go at once. Rejects with
   * `invalid-argument` for a bad user, headers that are not a record of
   * strings, or an origin that is not the app's or allow-listed.
   */
  setCredentials(user: string, credentials: CredentialsInput): Promise<void>;
  /**
   * The user signed in here signs out: the worker forgets their credentials,
   * so nothing of theirs is sent until they sign in again, and no other user
   * ever sends it. `discard: true` deletes their unsent ops; one on the wire
   * settles first and is deleted then unless it was delivered (never sent
   * again, also after a worker restart). Otherwise they are kept for the
   * user's next sign-in. Resolves with how many were unsent and how many
   * were deleted at once. A status snapshot turns to the next user's ops.
   */
  signOut(options?: { discard?: boolean }): Promise<SignOutResult>;
}

/**
 * Users on the page of `client`: who is signed in (their ops are stamped with
 * them at enqueue) and the credentials the worker sends their ops with. One
 * per client: a second call for the same client throws `invalid-state`.
 * A status snapshot of the same client counts the signed-in user's ops.
 */
export function createFerryIdentity(client: FerryClient, options: FerryIdentityOptions = {}): FerryIdentity {
  const parts = partsOf(client);
  if (parts.identity) throw new FerryError('invalid-state', 'this client has an identity already: make one per client');
  const who = identity({
    request: parts.request,
    provider: options.credentials,
    origin: () => (typeof location === 'object' ? location.origin : ''),
    listen: parts.feed.listen,
    onSignedOut: options.onSignedOut,
    onUserChange: () => {
      for (const fn of parts.userChanged) fn();
    },
  });
  parts.feed.hear((heard) => {
    const message = heard as UserMessage;
    if (message.type === 'credentials-needed') void who.provide(message.user, message);
    else if (message.type === 'signed-out') who.signedOut(message);
  });
  parts.identity = {
    get user() {
      return who.user;
    },
    stamp: who.stamp,
    woke: who.retryOwed,
  };
  return {
    setUser: who.setUser,
    get user() {
      return who.user;
    },
    setCredentials: who.setCredentials,
    signOut: ({ discard = false } = {}) => who.signOut(discard),
  };
}
