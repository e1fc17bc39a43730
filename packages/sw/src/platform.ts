import type { Reply } from '@ferry/core/protocol';

/** The platform types the host takes, typed structurally so that pages and tests can supply their own. */

/** Where change broadcasts go: a BroadcastChannel in browsers. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', fn: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', fn: (event: MessageEvent) => void): void;
  close(): void;
}

/** Background Sync's `registration.sync`. */
export interface SyncManagerLike {
  register(tag: string): Promise<void>;
}

export const defaultSync = (): SyncManagerLike | undefined =>
  (globalThis as { registration?: { sync?: SyncManagerLike } }).registration?.sync;

/** A port to answer on: the MessagePort a page sent with its request. */
export interface ReplyPort {
  postMessage(message: Reply): void;
}
