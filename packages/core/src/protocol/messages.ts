/**
 * The messages between pages and the Ferry host: requests, a discriminated union tagged by `type`, each with
 * Ferry's marker (`ferry: true`), the protocol version `v` and a request `id`; the replies the host sends
 * over the MessagePort the page sent along; and the broadcasts every page receives on a BroadcastChannel.
 * Types only.
 */
import type { FerryErrorData } from '../FerryError.ts';
import type { LastError, Operation, OperationInput, OperationStatus } from '../Operation.ts';
import type { ListQuery } from '../OutboxStore.ts';
import type { OpPatch } from '../state/edit.ts';
import type { RetryFilter } from '../state/retry.ts';
import type { WalRecord, WalRecordType } from '../WalRecord.ts';
import type { FERRY_MARKER, KickReason, PROTOCOL_VERSION } from './names.ts';

/** A request without its envelope. */
export type RequestBody =
  | { type: 'enqueue'; op: OperationInput }
  /** Several enqueues at once (the client coalesces the calls of one microtask batch): one group commit, a result per op. */
  | { type: 'enqueueBatch'; ops: OperationInput[] }
  | { type: 'get'; opId: string }
  | { type: 'list'; query?: ListQuery }
  | { type: 'stats'; query?: { user?: string } }
  /**
   * What a status snapshot starts from, in one read: see {@link StatusResult}. `doneSince`: also list the ids of ops
   * done since then (wall-clock ms). `user`: only that user's ops (null: only nobody's); absent: everyone's.
   */
  | { type: 'status'; doneSince?: number; user?: string | null }
  /** `user` signed in on a page: answered with the sign-in epoch that page's credentials for them carry. */
  | { type: 'signIn'; user: string }
  /**
   * The page hands the worker what sending `user`'s ops needs; kept in the worker's memory (see the host's
   * `persistCredentials`). `epoch`: the one the page's `signIn` got; credentials under an older one are refused.
   */
  | { type: 'setCredentials'; user: string; credentials: CredentialsInput; epoch?: number }
  /** `user` signed out, in every tab: the worker forgets their credentials, and deletes their unsent ops if `discard`. */
  | { type: 'signOut'; user: string; discard: boolean }
  /** Retries one dead letter (`opId`), or the dead letters `filter` picks, in their enqueue order, in one transaction. */
  | { type: 'retry'; opId: string }
  | { type: 'retry'; filter: RetryFilter }
  /**
   * Deletes an op never sent, or a failed one, so that it is never sent (again): `possibly-delivered`
   * once it may have reached the server, `invalid-state` once done.
   */
  | { type: 'remove'; opId: string }
  /** Replaces `kind`, `target`, `method` or `payload` of an op never sent (else `possibly-delivered`). */
  | { type: 'update'; opId: string; patch: OpPatch }
  /** Drains; answers once the drain settled, or after `waitMs` with the drain still going. */
  | { type: 'syncNow'; waitMs?: number }
  | { type: 'kick'; reason: KickReason }
  | { type: 'ping' }
  /** WAL records for the DevTools panel: see {@link HistoryQuery}. Served only by a host given `@ferry/sw/devtools`. */
  | { type: 'history'; query: HistoryQuery }
  /**
   * The DevTools panel's per-origin pauses: starts `pause` when set (see {@link PauseQuery}), then lists the pauses
   * running. Served only by a host given `@ferry/sw/devtools`.
   */
  | { type: 'pauses'; pause?: PauseQuery };

export type RequestType = RequestBody['type'];

/**
 * What a request needs to send one user's ops to one origin: headers (an
 * `Authorization` bearer, most often) and when they stop working. Kept by
 * the worker, never written into an op.
 */
export interface CredentialsInput {
  /** Sent with each of the user's requests to `origin`. May be empty when cookies carry the session (`credentials: 'include'`). */
  headers: Record<string, string>;
  /** Wall-clock ms after which they are not used; the worker asks the pages for new ones instead. */
  expiresAt?: number;
  /** The origin they are for: the app's own (the default) or an allow-listed one. */
  origin?: string;
}

/** What `signOut` answers. */
export interface SignOutResult {
  /** The user's ops not yet delivered (pending, in flight or failed) when they signed out. */
  unsent: number;
  /** How many of those were deleted (with `discard`; in-flight ones settle first and are not). */
  discarded: number;
}

/** A validated request: `{ v: 1, id, type, ... }`. On the wire it also carries {@link FERRY_MARKER}: see {@link Envelope}. */
export type Request = RequestBody & { v: typeof PROTOCOL_VERSION; id: string };

/** A request as the page posts it. */
export type Envelope = Request & { [FERRY_MARKER]: true };

export interface PingResult {
  /** The runner name the host's SyncWorker writes in leases. */
  owner: string;
  /** Whether Background Sync is available where the host runs. */
  backgroundSync: boolean;
  /** What the host's network probe says now. */
  online: boolean;
  /**
   * When (ms) the browser was found to have dropped Ferry's database, with
   * every op in it, oldest first; reported once each as `storage-lost`.
   * Always empty for a store the app supplies.
   */
  storageLost: number[];
}

/**
 * One op's outcome in an `enqueueBatch` reply: the stored op's id once its
 * transaction committed, or why that op alone was refused. Only the id comes
 * back (the page has the rest), so a large payload is not cloned back.
 */
export type EnqueueOutcome = string | FerryErrorData;

/** An op not yet done, as a status snapshot counts it. */
export interface StatusRow {
  id: string;
  status: Exclude<OperationStatus, 'done'>;
  lane: string;
  user?: string;
  nextAttemptAt: number;
  /** Set while the op waits for its user's credentials. */
  held?: string;
}

/** Done ops of one lane and user, counted rather than listed. */
export interface DoneGroup {
  lane: string;
  user?: string;
  count: number;
  /** The latest `updatedAt` among them: when the last one was delivered. */
  lastAt: number;
}

/**
 * What `status` answers, read in one transaction: a row per op not yet done,
 * the done ones counted by lane and user, and the highest LSN the read
 * reflects (a change broadcast with an LSN at or below it is already in).
 */
export interface StatusResult {
  ops: StatusRow[];
  done: DoneGroup[];
  lsn: number;
  /** Ids of the ops done since the request's `doneSince`; empty without it. */
  recent: string[];
  /** What the host's network probe says now. */
  online: boolean;
}

/** What each request resolves with. */
export interface Results {
  enqueue: Operation;
  /** In the order of the request's `ops`. */
  enqueueBatch: EnqueueOutcome[];
  get: Operation | null;
  list: Operation[];
  stats: Record<OperationStatus, number>;
  status: StatusResult;
  signIn: { epoch: number };
  setCredentials: null;
  signOut: SignOutResult;
  /** The retried op for an `opId`; the retried ops, in enqueue order, for a `filter`. */
  retry: Operation | Operation[];
  remove: Operation;
  update: Operation;
  /** Counts after the drain the request started has settled. */
  syncNow: Record<OperationStatus, number>;
  kick: null;
  ping: PingResult;
  history: HistoryResult;
  pauses: OriginPause[];
}

export type Reply =
  | { v: typeof PROTOCOL_VERSION; id: string | null; ok: true; result: unknown }
  | { v: typeof PROTOCOL_VERSION; id: string | null; ok: false; error: FerryErrorData };

/** The part of an op every change broadcast carries. */
export interface OpSummary {
  id: string;
  status: OperationStatus;
  attempt: number;
  lastError?: LastError;
  nextAttemptAt: number;
  lane: string;
  kind: string;
  seq: number;
  user?: string;
  /** Set while the op waits for its user's credentials. */
  held?: string;
  /** On `done`: what the server answered. */
  answer?: Operation['answer'];
}

export interface ChangeSummary {
  type: WalRecordType;
  lsn: number;
  op: OpSummary;
}

export interface ChangeMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'change';
  change: ChangeSummary;
}

/**
 * Broadcast when the worker holds `user`'s ops for want of credentials for
 * `origin` (none yet, expired, or refused with a 401): a page where that user
 * is signed in answers with `setCredentials`.
 */
export interface CredentialsNeededMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'credentials-needed';
  user: string;
  origin: string;
  reason: 'missing' | 'expired' | 'refused';
}

/**
 * Broadcast when `user` signs out in any tab: every page where they are signed
 * in signs them out too (stops stamping their ops and giving their credentials).
 */
export interface SignedOutMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'signed-out';
  user: string;
  /** The user's epoch after the sign-out. */
  epoch: number;
}

/**
 * Which WAL records a `history` request reads: from `fromLsn` on (default 0), at most
 * `MAX_HISTORY_SCAN` of them per request; of those, the records of `opId` (every record without it),
 * the last `limit` kept.
 */
export interface HistoryQuery {
  opId?: string;
  fromLsn?: number;
  /** Most records returned, the newest kept. An integer in [1, `MAX_HISTORY_LIMIT`]. @default 200 */
  limit?: number;
}

/** What `history` answers: the records in LSN order, and where the next read goes on. */
export interface HistoryResult {
  records: WalRecord[];
  /** The `fromLsn` of the next request: one past the last record scanned (`fromLsn` itself when none was). */
  next: number;
  /** Whether the scan reached the end of the WAL; false when it stopped at `MAX_HISTORY_SCAN`. */
  complete: boolean;
}

/**
 * Makes an origin unreachable for the host for `seconds` (an integer in [1, `MAX_PAUSE_SECONDS`]): a pause, as a
 * `Retry-After` makes one. Its lanes wait, spending nothing, and go on by themselves when it ends.
 */
export interface PauseQuery {
  seconds: number;
  /** The host's own origin or an allow-listed one. @default the host's own origin */
  origin?: string;
}

/** A pause running in the host: no request goes to `origin` before `until` (wall-clock ms). */
export interface OriginPause {
  origin: string;
  until: number;
}
