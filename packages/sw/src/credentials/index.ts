/**
 * `@ferry/sw/credentials`: per-user credentials and sessions for the host. A host built with
 * `createFerryHost({ credentials: credentials() })` serves the page client's identity (`setUser`,
 * `setCredentials`, sign-out with discard) and sends each user's ops with that user's credentials only; a host
 * built without it answers those requests, and ops stamped with a user, with `unsupported`.
 */
import { FerryError } from '@ferry/core';
import { PROTOCOL_VERSION } from '@ferry/core/protocol';
import { CredentialStore } from './CredentialStore.ts';
import type { Attach, CredentialsFeature } from './feature.ts';
import { serveUsers } from './serveUsers.ts';
import { UserSessions } from './UserSessions.ts';

export type { CredentialsFeature } from './feature.ts';

/** The options of {@link credentials}. */
export interface CredentialsOptions {
  /**
   * Keep the credentials pages hand over (`setCredentials`) in IndexedDB as
   * well as in memory, so that a Background Sync with no page open can send
   * a user's ops after the worker was stopped. The trade: tokens then sit at
   * rest in the profile, readable by any script of the origin, until the user
   * signs out. Off, a stopped worker holds the users' ops until a page of
   * theirs is open again. @default false
   */
  persist?: boolean;
}

/** The store meta key under which `persist` keeps them. */
const CREDENTIALS_META = 'credentials';

/**
 * The credentials feature, for the host's `credentials` option. Throws `invalid-config` naming the option
 * (`credentials.persist`) for a bad one.
 */
export function credentials(options: CredentialsOptions = {}): CredentialsFeature {
  if (typeof options !== 'object' || options === null) throw bad('credentials()', 'takes an object');
  for (const key of Object.keys(options)) if (key !== 'persist') throw bad(`credentials.${key}`, 'is not an option');
  const persist = options.persist ?? false;
  if (typeof persist !== 'boolean') throw bad('credentials.persist', 'must be true or false');
  const attach: Attach = async (p) => {
    const store = new CredentialStore(p.clock, p.timers, (need) =>
      p.broadcast({ v: PROTOCOL_VERSION, type: 'credentials-needed', ...need }),
    );
    if (persist)
      store.load(await p.store.transaction('readonly', (tx) => tx.getMeta(CREDENTIALS_META)), p.origin, p.allowed);
    const save = async (): Promise<void> => {
      if (persist)
        await p.store.transaction('readwrite', (tx) => tx.putMeta(CREDENTIALS_META, JSON.stringify(store.toJSON())));
    };
    const parts = { ...p, credentials: store, sessions: new UserSessions(p.store), save };
    return { source: store, serve: (engine, req, ctx) => serveUsers(parts, engine, req, ctx) };
  };
  return { attach: attach as CredentialsFeature['attach'] };
}

function bad(path: string, must: string): FerryError {
  return new FerryError('invalid-config', `${path} ${must}`);
}
