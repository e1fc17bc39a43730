import { checkUserId } from '@ferry/core/internal';
import { PROTOCOL_VERSION } from '@ferry/core/protocol';
import type { Results } from '@ferry/core/protocol';
import type { Engine } from '../engine/buildEngine.ts';
import type { Handled, ServeContext } from '../engine/serveRequest.ts';
import type { CredentialStore } from './CredentialStore.ts';
import { checkCredentials } from './CredentialStore.ts';
import { DiscardAfterSend } from './discardAfterSend.ts';
import type { UsersParts, UsersRequest } from './feature.ts';
import type { UserSessions } from './UserSessions.ts';

/** One engine's users: their credentials, their sessions, and how the credentials are kept. */
export interface Users extends UsersParts {
  credentials: CredentialStore;
  sessions: UserSessions;
  /** Writes the credentials to the store when the app asked to keep them; else nothing. */
  save: () => Promise<void>;
  /** The ops to delete once their send settles (a sign-out with discard), made at its first use. */
  discards?: DiscardAfterSend;
}

function discardsOf(users: Users): DiscardAfterSend {
  if (!users.discards) {
    const made = new DiscardAfterSend(users.outbox, users.onError);
    users.outbox.subscribe((change) => made.onChange(change));
    users.discards = made;
  }
  return users.discards;
}

/** Serves a user's sign-in, credentials and sign-out on `engine`. */
export async function serveUsers(users: Users, engine: Engine, req: UsersRequest, ctx: ServeContext): Promise<Handled> {
  const { outbox, worker } = engine;
  const { credentials, sessions } = users;
  switch (req.type) {
    case 'signIn': {
      const user = checkUserId(req.user, 'user', 'invalid-argument');
      const result: Results['signIn'] = { epoch: await sessions.signIn(user) };
      // What a sign-out with discard left in flight is never sent again; then the lanes held for a refused session go.
      await discardsOf(users).sweep(worker.live);
      await engine.releaseSessions((u) => u === user);
      return { result };
    }
    case 'setCredentials': {
      const entry = checkCredentials(req.user, req.credentials, users.origin, users.allowed);
      await sessions.admit(entry.user, req.epoch);
      credentials.set(entry);
      await users.save();
      // What a sign-out with discard left in flight is never sent again, with these credentials or any.
      await discardsOf(users).sweep(worker.live);
      // The user's held lanes go again; one still lacking credentials for another origin is held again at its claim.
      await engine.releaseSessions((user) => user === entry.user);
      await outbox.delivery.release((op) => op.user === entry.user);
      return { result: null, after: ctx.wake };
    }
    case 'signOut': {
      const user = checkUserId(req.user, 'user', 'invalid-argument');
      const epoch = await sessions.signOut(user);
      credentials.forget(user);
      await users.save();
      users.broadcast({ v: PROTOCOL_VERSION, type: 'signed-out', user, epoch });
      const { pending, inflight, failed } = await outbox.stats({ user });
      const unsent = pending + inflight + failed;
      if (!req.discard) return { result: { unsent, discarded: 0 } satisfies Results['signOut'] };
      const onWire = async (): Promise<string[]> => {
        const ops = await outbox.list({ user, status: 'inflight', limit: Infinity });
        return ops.map((o) => o.id);
      };
      const before = await onWire();
      const discarded = await outbox.discardUser(user);
      // Ops on the wire settle first (sent with this user's credentials); those not delivered are deleted then.
      await discardsOf(users).add([...new Set([...before, ...(await onWire())])], worker.live);
      return { result: { unsent, discarded } satisfies Results['signOut'] };
    }
  }
}
