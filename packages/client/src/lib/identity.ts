import type { CredentialsInput, SignedOutMessage, SignOutResult } from '@ferry/core/protocol';
import { FerryError } from '@ferry/core';
import { checkUserId } from '@ferry/core/internal';
import type { Request } from './parts.ts';

/** What the app's credentials provider is told when the worker needs a user's credentials. */
export interface CredentialsRequest {
  /** The origin they are for. */
  origin: string;
  /** None given yet, the last ones expired, or the server refused them (a 401). */
  reason: 'missing' | 'expired' | 'refused';
}

export type CredentialsProvider = (
  user: string,
  request: CredentialsRequest,
) => Promise<Omit<CredentialsInput, 'origin'> | undefined> | Omit<CredentialsInput, 'origin'> | undefined;

/** A sign-in at the worker: the epoch it answered (`known` once it came). */
interface Session {
  user: string;
  epoch: Promise<number>;
  known?: number;
}

export interface IdentityOptions {
  request: Request;
  provider: CredentialsProvider | undefined;
  /** The page's origin ('' outside a page). */
  origin: () => string;
  /** Starts listening to the worker's broadcasts (asks for credentials, sign-outs). */
  listen: () => void;
  /** Told when the user signed in here was signed out by another tab. */
  onSignedOut: ((user: string) => void) | undefined;
  /** Told after the user signed in here changed (a sign-in, a sign-out, here or elsewhere). */
  onUserChange: () => void;
}

/**
 * Who is signed in on this page, and the credentials it gives for them.
 *
 * Invariants: credentials are given only for the user signed in here, and
 * carry the sign-in epoch the worker answered for that user, so the worker
 * refuses them once the user signed out anywhere (even when this tab missed
 * the broadcast); a sign-out in another tab signs the user out here too, and
 * from then on an enqueue that names no user is refused with `signed-out`
 * until the app says who is signed in (`setUser`).
 */
export function identity(o: IdentityOptions) {
  let user: string | null = null;
  /** The user signed out by another tab while signed in here, until the next `setUser`. */
  let signedOutElsewhere: string | null = null;
  /** The sign-in of `user` at the worker. Cleared when it fails, so the next use asks again. */
  let session: Session | undefined;
  /** The provider gave nothing last time: asked again when the page is back online or visible. */
  let owed = false;

  const epochOf = (who: string): Promise<number> => {
    if (session?.user === who) return session.epoch;
    const s: Session = {
      user: who,
      epoch: o.request({ type: 'signIn', user: who }).then(
        ({ epoch }) => (s.known = epoch),
        (err: unknown) => {
          if (session === s) session = undefined;
          throw err;
        },
      ),
    };
    session = s;
    return s.epoch;
  };

  const setCredentials = async (who: string, credentials: CredentialsInput): Promise<void> => {
    // Only the user signed in here carries an epoch: this page knows when it signed them in.
    const epoch = who === user ? await epochOf(who) : undefined;
    await o.request({ type: 'setCredentials', user: who, credentials, ...(epoch !== undefined && { epoch }) });
  };

  const provide = async (who: string, req: CredentialsRequest): Promise<void> => {
    const provider = o.provider;
    if (!provider || who !== user) return;
    let given: Omit<CredentialsInput, 'origin'> | undefined;
    try {
      given = await provider(who, { origin: req.origin, reason: req.reason });
    } catch {
      // A refresh that failed (the auth server down, offline): the ops wait, and the page asks again later.
      given = undefined;
    }
    // Signed out or switched while the provider ran: those are not this user's to give.
    if (who !== user) return;
    owed = !given;
    if (given)
      await setCredentials(who, { ...given, ...(req.origin !== '' && { origin: req.origin }) }).catch(
        () => (owed = true),
      );
  };

  return {
    get user(): string | null {
      return user;
    },

    async setUser(next: string | null): Promise<void> {
      const before = user;
      user = next === null ? null : checkUserId(next, 'user', 'invalid-argument');
      signedOutElsewhere = null;
      if (user !== before) o.onUserChange();
      if (user === null) return;
      o.listen();
      const signingIn = epochOf(user);
      if (!o.provider) {
        // Without a provider nothing waits for the worker here; setCredentials asks again if this fails.
        signingIn.catch(() => {});
        return;
      }
      await provide(user, { origin: o.origin(), reason: 'missing' });
    },

    setCredentials,

    async signOut(discard: boolean): Promise<SignOutResult> {
      const who = user;
      if (who === null) return { unsent: 0, discarded: 0 };
      user = null;
      session = undefined;
      o.onUserChange();
      return o.request({ type: 'signOut', user: who, discard });
    },

    /** The worker asked for credentials (broadcast). */
    provide,

    /** Another tab signed `msg.user` out. A sign-in here after that sign-out (a later epoch) stands. */
    signedOut(msg: SignedOutMessage): void {
      if (msg.user !== user) return;
      if (session?.user === user && session.known !== undefined && session.known >= msg.epoch) return;
      signedOutElsewhere = user;
      user = null;
      session = undefined;
      o.onUserChange();
      o.onSignedOut?.(msg.user);
    },

    /** The user an enqueue is stamped with; throws `signed-out` while the user signed in here was signed out elsewhere. */
    stamp(named: string | undefined): { user?: string } {
      if (named !== undefined) return {};
      if (user !== null) return { user };
      if (signedOutElsewhere !== null) {
        throw new FerryError(
          'signed-out',
          `${JSON.stringify(signedOutElsewhere)} was signed out in another tab; call setUser before enqueueing on this page`,
        );
      }
      return {};
    },

    /** Asks the provider again if it owed credentials (the page came back online or visible). */
    retryOwed(): void {
      if (owed && user !== null) void provide(user, { origin: o.origin(), reason: 'missing' });
    },
  };
}
