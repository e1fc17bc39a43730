/**
 * Every event Ferry logs, with the level it is logged at: the one list, the
 * single source for the types, the host, the page client and the docs.
 * Names are stable; a new event may be added in a minor release.
 *
 * The levels follow one rule: nothing on a normal path (offline, an outage,
 * a gateway's 502/503/504, `Retry-After`, credentials that the page renews)
 * logs at `warn` or above. `warn` is what an app should look at, `error`
 * what is broken.
 *
 * Split by who logs them, so that each bundle holds its own: {@link HOST_EVENTS},
 * {@link CLIENT_EVENTS} and {@link WORKBOX_EVENTS}; {@link LOG_EVENTS} is all of them.
 */

/** The events the host logs (a service worker's, or page mode's). */
export const HOST_EVENTS = {
  // One per WAL transition (see WalRecordType), with `opId`, `lane`, `attempt`, `status`.
  /** An op was queued. */
  'op.put': 'debug',
  /** A runner claimed an op, right before sending it. */
  'op.claim': 'debug',
  /** An op went on the wire. */
  'op.send': 'debug',
  /** The server took an op. */
  'op.done': 'debug',
  /** A send failed for now; `retryAfterMs` says when the op goes again. Outages are this. */
  'op.retry': 'debug',
  /** An op failed for good and is a dead letter: the server refused it, or it ran out of attempts or time. */
  'op.fail': 'warn',
  /** An op was removed (by the app, or after it was sent once for a signed-out user). */
  'op.remove': 'debug',
  /** An op came back to `pending`: a lease ended, or the app retried a dead letter. */
  'op.requeue': 'debug',
  /** An op waits because its origin asked for a pause (`Retry-After`); `retryAfterMs` says how long. */
  'op.defer': 'debug',
  /** An op waits for its user's credentials (`reason` says why). The page usually renews them. */
  'op.hold': 'info',
  /** A held op may go again. */
  'op.release': 'debug',
  /** An op that was never sent was edited or coalesced. */
  'op.update': 'debug',
  /** An op was held for credentials again right after new ones came: its server refuses them too. */
  'credentials.refused': 'warn',
  /** The browser refused a Background Sync registration (turned off for the site); the other wake sources drain. */
  'sync.refused': 'info',
  /** An outcome came for a claim that no longer holds the op (a lease ended meanwhile): nothing changed. */
  'lease.superseded': 'info',
  /** The browser refused to store more (`QuotaExceededError`); what was queued stays. */
  'storage.quota': 'warn',
  /** A stored record could not be read back and was moved aside. */
  'storage.corrupt': 'warn',
  /** The browser dropped Ferry's database: the ops queued before are gone. */
  'storage.lost': 'error',
  /** The store failed (IndexedDB unavailable, closed under Ferry); the host opens it again. */
  'storage.failed': 'error',
  /** Anything else that went wrong: a bug or a broken invariant (`error` says what). */
  'host.error': 'error',
} as const;

/** The events the page client logs. */
export const CLIENT_EVENTS = {
  /** A page request the worker did not answer in time, or refused (`error`); the caller gets the error too. */
  'client.request-failed': 'debug',
  /** A broadcast of another protocol version was ignored: the page and the worker are of different Ferry versions. */
  'client.version-mismatch': 'warn',
} as const;

/** The events `@ferry/workbox`'s plugin logs. */
export const WORKBOX_EVENTS = {
  /** A request of a method the plugin does not queue (GET, HEAD) went its way, as without it. Once per plugin. */
  'workbox.method-passed': 'warn',
  /** The headers kept for an op that left the queue could not be deleted; the next worker start sweeps them. */
  'workbox.cleanup-failed': 'warn',
} as const;

/** Every event Ferry logs, by name, with its level. */
export const LOG_EVENTS: Readonly<typeof HOST_EVENTS & typeof CLIENT_EVENTS & typeof WORKBOX_EVENTS> =
  /* @__PURE__ */ all(HOST_EVENTS, CLIENT_EVENTS, WORKBOX_EVENTS);

/** The tables as one; a call, so that a bundle that only logs one side leaves the others out. */
function all<A extends object, B extends object, C extends object>(a: A, b: B, c: C): A & B & C {
  return { ...a, ...b, ...c };
}

/** The name of an event Ferry logs: a key of {@link LOG_EVENTS}. */
export type LogEventName = keyof typeof LOG_EVENTS;
