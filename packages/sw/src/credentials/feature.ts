import type { Clock, OutboxStore, Outbox, Timers } from '@ferry/core';
import type { CredentialsNeededMessage, Request, SignedOutMessage } from '@ferry/core/protocol';
import type { Engine } from '../engine/buildEngine.ts';
import type { Handled, ServeContext } from '../engine/serveRequest.ts';
import type { CredentialSource } from './CredentialStore.ts';

/** The requests only a host built with the credentials feature serves. */
export type UsersRequest = Extract<Request, { type: 'signIn' | 'setCredentials' | 'signOut' }>;

/** What the credentials feature is given of an engine as it is built. */
export interface UsersParts {
  store: OutboxStore;
  outbox: Outbox;
  clock: Clock;
  timers: Timers;
  /** The host's origin and the allow-listed ones: where credentials may be for. */
  origin: string;
  allowed: readonly string[];
  broadcast: (message: SignedOutMessage | CredentialsNeededMessage) => void;
  onError: (err: unknown) => void;
}

/** The credentials feature's part of one engine. */
export interface UserAccounts {
  /** The users' credentials, for the HTTP transport. */
  readonly source: CredentialSource;
  /** Serves `signIn`, `setCredentials` and `signOut`. */
  serve(engine: Engine, req: UsersRequest, ctx: ServeContext): Promise<Handled>;
}

/**
 * Per-user credentials and sessions, as the host's `credentials` option takes them: made by `credentials()`
 * from `@ferry/sw/credentials`, so that a worker without users does not ship them.
 */
export interface CredentialsFeature {
  /** Builds the feature's part of an engine; the host calls it with its own parts (see `Attach`). */
  readonly attach: (parts: never) => Promise<unknown>;
}

/** {@link CredentialsFeature.attach} as the engine calls it: reads the kept credentials when it keeps them. */
export type Attach = (parts: UsersParts) => Promise<UserAccounts>;
