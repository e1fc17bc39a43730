import type { FerryErrorCode, FerryNames } from '@ferry/core';
import type { ReplyPort } from './platform.ts';
import { PROTOCOL_VERSION, isFerryMessage, messageName } from '@ferry/core/protocol';

/** What `listen` needs of a ServiceWorkerGlobalScope (typed structurally so pages can import the host). */
export interface ServiceWorkerScopeLike {
  readonly location: { readonly origin: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, fn: (event: Event) => void): void;
  removeEventListener(type: string, fn: (event: Event) => void): void;
  /**
   * This worker (`self.serviceWorker`): its `state` says whether it is the activated one; posting to
   * it dispatches a `message` event here, whose lifetime the drain after `activate` runs under.
   */
  readonly serviceWorker?: { readonly state: string; postMessage?(message: unknown): void };
}

/** The parts of a host that the worker's events drive. */
export interface ListeningHost {
  /** The app's names: its sync tag, and the `name` its pages' messages carry. */
  readonly names: FerryNames;
  /** Whether a Ferry message is for this host (its app's `name`). */
  serves(data: unknown): boolean;
  receive(data: unknown, port: ReplyPort | undefined): Promise<void>;
  onSync(lastChance: boolean): Promise<void>;
  wake(): Promise<void>;
}

/**
 * How Ferry joins a service worker. By default it leaves the worker's
 * lifecycle to the app: a new version waits until the app says so
 * (vite-plugin-pwa's `registerType: 'prompt'`, workbox-window's
 * `messageSkipWaiting()`), and a page is controlled when the app decides.
 */
export interface ListenOptions {
  /**
   * Call `skipWaiting()` at `install`: a new version takes over at once.
   * For a worker that is Ferry's alone (the app has no precache of its own to keep consistent).
   * @default false
   */
  skipWaiting?: boolean;
  /**
   * Call `clients.claim()` at `activate`: pages opened before the worker are controlled at once.
   * @default false
   */
  clientsClaim?: boolean;
}

/** The event types {@link ferryHandlers} handles, each with its handler. */
export interface FerryHandlers {
  /** `install`: `skipWaiting()` when {@link ListenOptions.skipWaiting} is set; nothing else. */
  install(event: Event): void;
  /**
   * `activate`: waits for `clients.claim()` when {@link ListenOptions.clientsClaim} is set, and for nothing
   * else; the drain of what is queued starts at once under a `message` event the worker posts to itself.
   */
  activate(event: Event): void;
  /**
   * `message`: handles a message that carries Ferry's marker (`ferry: true`) and returns true;
   * returns false, and does nothing, for any other message, which stays the app's.
   */
  message(event: Event): boolean;
  /** `sync`: drains on Ferry's Background Sync tag (`ferry`) and returns true; false for the app's own tags. */
  sync(event: Event): boolean;
  /** The worker's start-up: drains once if this worker is the activated one (it may have been stopped with work due). */
  start(): void;
}

// The scope dispatches each type with its own event class; these are the parts used.
type Extendable = Event & { waitUntil(promise: Promise<unknown>): void };
type Message = Extendable & { data: unknown; origin: string; ports: readonly ReplyPort[] };
type Sync = Extendable & { tag?: string; lastChance?: boolean };

/**
 * Ferry's event handlers for a service worker, for apps that wire the
 * worker's events by hand (or call them from their own listeners):
 *
 *     const ferry = ferryHandlers(host, self);
 *     self.addEventListener('message', (event) => {
 *       if (ferry.message(event)) return; // Ferry's: handled
 *       // ...the app's own messages
 *     });
 *     self.addEventListener('activate', ferry.activate);
 *     self.addEventListener('sync', ferry.sync);
 *     ferry.start();
 *
 * Only the activated worker drains: a new version that is installing or
 * waiting sends nothing (two versions would otherwise send at once), and
 * answers Ferry's requests with `invalid-state` (pages talk to the worker
 * that controls them, so in practice none arrive). It starts draining at
 * its `activate`.
 */
export function ferryHandlers(
  host: ListeningHost,
  scope: ServiceWorkerScopeLike,
  options: ListenOptions = {},
): FerryHandlers {
  const hosts = hostsOf(scope);
  hosts.add(host);
  let installing = false;
  let activated = false;
  const isActive = (): boolean => {
    // `activating` while its own activate event runs; `redundant` once a newer version took over: then it stops.
    const state = scope.serviceWorker?.state;
    if (state !== undefined) return state === 'activated' || (state === 'activating' && activated);
    // Without `self.serviceWorker` (older browsers), a worker that saw `install` is not active until it sees `activate`.
    return activated || !installing;
  };
  return {
    install: (e) => {
      installing = true;
      if (options.skipWaiting) (e as Extendable).waitUntil(scope.skipWaiting());
    },
    activate: (e) => {
      activated = true;
      if (options.clientsClaim) (e as Extendable).waitUntil(scope.clients.claim());
      // Chromium holds navigations while a worker is `activating`: the drain must not extend `activate`.
      drainOutsideActivate(host, scope);
    },
    message: (e) => {
      const m = e as Message;
      if (!isFerryMessage(m.data)) return false;
      if (!host.serves(m.data)) {
        // Another host of this worker answers it; if none would, the first one says so, so the page is not left waiting.
        const others = [...hosts];
        if (others[0] === host && !others.some((h) => h.serves(m.data))) {
          refuse(
            m,
            'protocol-error',
            `no Ferry host named ${JSON.stringify(messageName(m.data) ?? null)} listens in this service worker`,
          );
        }
        return true;
      }
      // Only same-origin pages can message a worker; checked anyway, cheaply.
      const data = !m.origin || m.origin === scope.location.origin ? m.data : null;
      if (isActive()) {
        m.waitUntil(host.receive(data, m.ports[0]));
      } else {
        refuse(
          m,
          'invalid-state',
          'this service worker is not the active one yet: it neither serves requests nor sends',
        );
      }
      return true;
    },
    sync: (e) => {
      const s = e as Sync;
      if (s.tag !== host.names.syncTag) return false;
      // Sync events go to the active worker only; checked anyway.
      if (isActive()) s.waitUntil(host.onSync(s.lastChance === true));
      return true;
    },
    start: () => {
      if (isActive()) void host.wake();
    },
  };
}

/**
 * Starts the drain that follows `activate` without extending it, and keeps
 * the worker alive for it: a `kick` the worker posts to itself arrives as a
 * `message` event, whose `waitUntil` covers the drain (it joins the one
 * started here) and holds no navigation. Without `self.serviceWorker`, or a
 * `message` handler, the drain runs unextended (the next start drains what
 * a stopped worker left).
 */
function drainOutsideActivate(host: ListeningHost, scope: ServiceWorkerScopeLike): void {
  void host.wake();
  const name = host.names.name;
  const kick = { ferry: true, v: PROTOCOL_VERSION, id: 'ferry-activate', type: 'kick', reason: 'kick' };
  if (name !== undefined) Object.assign(kick, { name });
  try {
    scope.serviceWorker?.postMessage?.(kick);
  } catch {
    // A worker that cannot message itself drains unextended.
  }
}

/** Answers a request with an error, on the port the page sent along. */
function refuse(m: Message, code: FerryErrorCode, message: string): void {
  const id = (m.data as { id?: unknown } | null)?.id;
  try {
    m.ports[0]?.postMessage({
      v: PROTOCOL_VERSION,
      id: typeof id === 'string' ? id : null,
      ok: false,
      error: { code, message },
    });
  } catch {
    // The page is gone or closed its port.
  }
}

/** The hosts listening in one worker scope, so that a request no host serves is still answered. */
const listening = new WeakMap<object, Set<ListeningHost>>();
function hostsOf(scope: object): Set<ListeningHost> {
  let set = listening.get(scope);
  if (!set) listening.set(scope, (set = new Set()));
  return set;
}

/**
 * Wires a service worker's events to `host`: `install` and `activate`
 * (the lifecycle stays the app's unless `options` hand it to Ferry),
 * `message` (Ferry's only), `sync` (Ferry's tag only); then drains once for
 * the start-up if this worker is the activated one. Call it synchronously in
 * the worker script. Returns a cleanup.
 */
export function listen(host: ListeningHost, scope: ServiceWorkerScopeLike, options: ListenOptions = {}): () => void {
  const ferry = ferryHandlers(host, scope, options);
  const handlers: Record<string, (e: Event) => void> = {
    install: ferry.install,
    activate: ferry.activate,
    message: (e) => void ferry.message(e),
    sync: (e) => void ferry.sync(e),
  };
  for (const [type, fn] of Object.entries(handlers)) scope.addEventListener(type, fn);
  ferry.start();
  return () => {
    for (const [type, fn] of Object.entries(handlers)) scope.removeEventListener(type, fn);
    hostsOf(scope).delete(host);
  };
}
