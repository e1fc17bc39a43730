import type { ChangeMessage, ChangeSummary, CredentialsNeededMessage, SignedOutMessage } from '@ferry/core/protocol';

export interface ChangeFeedOptions {
  /** Opens the channel the host broadcasts on; called once, at the first `listen`. */
  open: () => EventTarget & { close(): void };
  /** Told once about a broadcast of another protocol version (a page and a worker of different Ferry versions). */
  foreign?: () => void;
}

/** The broadcasts about users: the worker asks for a user's credentials; a user was signed out (in any tab). */
export type UserMessage = CredentialsNeededMessage | SignedOutMessage;

export interface ChangeFeed {
  /** Starts listening to the broadcasts (idempotent): the first subscriber, or identity, calls it. */
  listen(): void;
  /** Sees every committed change from any tab (only `user`'s ops with that filter); returns a cleanup. */
  subscribe(fn: (change: ChangeSummary) => void, filter?: { user?: string }): () => void;
  /**
   * Hears every other broadcast of this protocol version (without starting to listen): the ones about users,
   * and any type a newer host adds, which the hearer ignores. Returns a cleanup.
   */
  hear(fn: (message: UserMessage | { type: string }) => void): () => void;
  /** Stops listening and forgets every subscriber. */
  close(): void;
}

/**
 * The host's broadcasts as the page hears them: changes go to the
 * subscribers, every other type to `hear` (identity takes the asks for credentials and the sign-outs).
 * A message of another protocol version is ignored.
 */
export function changeFeed(o: ChangeFeedOptions): ChangeFeed {
  const listeners = new Set<(change: ChangeSummary) => void>();
  const hearers = new Set<(message: UserMessage | { type: string }) => void>();
  let channel: (EventTarget & { close(): void }) | undefined;
  let foreign = o.foreign;

  const onBroadcast = (event: Event): void => {
    const data = (event as MessageEvent<ChangeMessage | UserMessage>).data;
    if (data?.v !== 1) {
      if (typeof (data as { v?: unknown } | null)?.v === 'number') {
        foreign?.();
        foreign = undefined;
      }
      return;
    }
    if (data.type !== 'change') for (const fn of hearers) fn(data);
    else if (typeof data.change?.op?.id === 'string') for (const fn of listeners) fn(data.change);
  };

  const listen = (): void => {
    if (channel) return;
    channel = o.open();
    channel.addEventListener('message', onBroadcast);
  };

  return {
    listen,
    subscribe(fn, filter = {}) {
      listen();
      const only = filter.user;
      const listener =
        only === undefined ? fn : (change: ChangeSummary): void => void (change.op.user === only && fn(change));
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    hear(fn) {
      hearers.add(fn);
      return () => void hearers.delete(fn);
    },
    close() {
      listeners.clear();
      hearers.clear();
      channel?.removeEventListener('message', onBroadcast);
      channel?.close();
      channel = undefined;
    },
  };
}
