import type { ReplyPort } from './lib/platform.ts';
import { SYNC_TAG } from './protocol.ts';

/** What `listen` needs of a ServiceWorkerGlobalScope (typed structurally so pages can import the host). */
export interface ServiceWorkerScopeLike {
  readonly location: { readonly origin: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, fn: (event: Event) => void): void;
  removeEventListener(type: string, fn: (event: Event) => void): void;
}

/** The parts of a host that the worker's events drive. */
export interface ListeningHost {
  receive(data: unknown, port: ReplyPort | undefined): Promise<void>;
  onSync(lastChance: boolean): Promise<void>;
  wake(): Promise<void>;
}

/**
 * Wires a service worker's events to `host`: `install` (skipWaiting),
 * `activate` (clients.claim), `message`, `sync`; then drains once for the
 * start-up. Returns a cleanup.
 */
export function listen(host: ListeningHost, scope: ServiceWorkerScopeLike): () => void {
  // The scope dispatches each type with its own event class; these are the parts used.
  type Extendable = Event & { waitUntil(promise: Promise<unknown>): void };
  type Message = Extendable & { data: unknown; origin: string; ports: readonly ReplyPort[] };
  type Sync = Extendable & { tag?: string; lastChance?: boolean };
  const handlers: Record<string, (e: Event) => void> = {
    install: (e) => (e as Extendable).waitUntil(scope.skipWaiting()),
    activate: (e) => (e as Extendable).waitUntil(scope.clients.claim()),
    message: (e) => {
      const m = e as Message;
      // Only same-origin pages can message a worker; checked anyway, cheaply.
      const data = !m.origin || m.origin === scope.location.origin ? m.data : null;
      m.waitUntil(host.receive(data, m.ports[0]));
    },
    sync: (e) => {
      const s = e as Sync;
      if (s.tag === SYNC_TAG) s.waitUntil(host.onSync(s.lastChance === true));
    },
  };
  for (const [type, fn] of Object.entries(handlers)) scope.addEventListener(type, fn);
  // Start-up is a wake source: the worker may have been stopped with work due.
  void host.wake();
  return () => {
    for (const [type, fn] of Object.entries(handlers)) scope.removeEventListener(type, fn);
  };
}
