/**
 * The wire protocol between pages and the Ferry host: the one definition
 * both @ferry/sw and @ferry/client use (`@ferry/core/protocol`). Requests are
 * a discriminated union tagged by `type`, each with Ferry's marker
 * (`ferry: true`), the protocol version `v` and a request `id`; the host
 * answers over the MessagePort the page sent along. State changes go to
 * every page on a BroadcastChannel.
 *
 * This module holds types, constants and the request validator only, and
 * lives in core, so the page client imports it without the worker stack.
 */
import type { FerryErrorData } from './FerryError.ts';
import type { LastError, Operation, OperationInput, OperationStatus } from './Operation.ts';
import { OPERATION_STATUSES } from './Operation.ts';
import { isRecord } from './lib/isRecord.ts';
import type { ListQuery } from './OutboxStore.ts';
import type { OpPatch } from './state/edit.ts';
import type { RetryFilter } from './state/retry.ts';
import type { WalRecordType } from './WalRecord.ts';

export const PROTOCOL_VERSION = 1;
/**
 * The property every request to the host carries, set to `true`. A service
 * worker shared with the app handles only messages that carry it and leaves
 * every other message (the app's own, workbox-window's) alone.
 */
export const FERRY_MARKER = 'ferry';

/** Whether a message posted to the worker is meant for Ferry: an object whose `ferry` property is `true`. */
export function isFerryMessage(data: unknown): boolean {
  return isRecord(data) && data[FERRY_MARKER] === true;
}
/** BroadcastChannel carrying {@link ChangeMessage}s. */
export const CHANNEL_NAME = 'ferry';
/** The Web Lock only the current runner holds. */
export const LOCK_NAME = 'ferry-runner';
/** The Background Sync tag registered while work is queued. */
export const SYNC_TAG = 'ferry';

/** The app a message is for: its `name` field, absent for the default app. */
export function messageName(data: unknown): string | undefined {
  const name = isRecord(data) ? data['name'] : undefined;
  return typeof name === 'string' ? name : undefined;
}

export type KickReason = 'online' | 'visible' | 'kick';

/** Most ops one `enqueueBatch` request may carry; the client splits larger batches. */
export const MAX_BATCH = 1000;

/** A request without its envelope. */
export type RequestBody =
  | { type: 'enqueue'; op: OperationInput }
  /** Several enqueues at once (the client coalesces the calls of one microtask batch): one group commit, a result per op. */
  | { type: 'enqueueBatch'; ops: OperationInput[] }
  | { type: 'get'; opId: string }
  | { type: 'list'; query: ListQuery }
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
  | { type: 'retry'; opId: string }
  /** Retries the dead letters the filter picks, in their enqueue order, in one transaction. */
  | { type: 'retryAll'; filter: RetryFilter }
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
  | { type: 'ping' };

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
  retry: Operation;
  /** The retried ops, in enqueue order. */
  retryAll: Operation[];
  remove: Operation;
  update: Operation;
  /** Counts after the drain the request started has settled. */
  syncNow: Record<OperationStatus, number>;
  kick: null;
  ping: PingResult;
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

export type Parsed = { ok: true; request: Request } | { ok: false; id: string | null; message: string };

const MAX_ID = 256;
const REASONS: readonly string[] = ['online', 'visible', 'kick'] satisfies KickReason[];

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;

/** Most ids one `retryAll` request may name. */
const MAX_RETRY_IDS = 10_000;

function parseRetryFilter(f: unknown): RetryFilter | string {
  if (f === undefined) return {};
  if (!isRecord(f)) return 'retryAll.filter must be an object';
  const out: RetryFilter = {};
  for (const key of ['lane', 'user'] as const) {
    if (f[key] === undefined) continue;
    if (!isName(f[key])) return `retryAll.filter.${key} must be a non-empty string`;
    out[key] = f[key];
  }
  if (f['ids'] !== undefined) {
    const ids = f['ids'];
    if (!Array.isArray(ids) || ids.length > MAX_RETRY_IDS || !ids.every(isName)) {
      return `retryAll.filter.ids must be an array of at most ${MAX_RETRY_IDS} ids`;
    }
    out.ids = [...ids];
  }
  return out;
}

function parseQuery(q: unknown): ListQuery | string {
  if (q === undefined) return {};
  if (!isRecord(q)) return 'query must be an object';
  const out: ListQuery = {};
  if (q['status'] !== undefined) {
    if (typeof q['status'] !== 'string' || !OPERATION_STATUSES.includes(q['status'] as OperationStatus))
      return 'query.status is not a status';
    out.status = q['status'] as OperationStatus;
  }
  if (q['lane'] !== undefined) {
    if (!isName(q['lane'])) return 'query.lane must be a non-empty string';
    out.lane = q['lane'];
  }
  if (q['user'] !== undefined) {
    if (!isName(q['user'])) return 'query.user must be a non-empty string';
    out.user = q['user'];
  }
  if (q['limit'] !== undefined) {
    if (!Number.isInteger(q['limit']) || (q['limit'] as number) < 1 || (q['limit'] as number) > 10_000)
      return 'query.limit must be an integer in [1, 10000]';
    out.limit = q['limit'] as number;
  }
  return out;
}

/**
 * Checks an incoming message by shape and rebuilds it from the known fields
 * only. Anything else — another version, an unknown `type`, a missing or
 * mistyped field — is refused with a reason; the caller runs nothing.
 * The op inside `enqueue` is only checked to be an object here: the Outbox
 * validates it fully before anything is written. `enqueueBatch` must carry
 * an array of 1 to {@link MAX_BATCH} ops; each op is left to the Outbox, so
 * a bad one is refused on its own, in its own result, and never sinks the
 * others.
 */
export function parseRequest(data: unknown): Parsed {
  if (!isRecord(data)) return { ok: false, id: null, message: 'a request must be an object' };
  const id = isName(data['id']) ? data['id'] : null;
  const bad = (message: string): Parsed => ({ ok: false, id, message });
  if (data['v'] !== PROTOCOL_VERSION)
    return bad(`unsupported protocol version ${JSON.stringify(data['v'])}; expected ${PROTOCOL_VERSION}`);
  if (id === null) return bad('a request needs an id: a non-empty string');
  const ok = (body: RequestBody): Parsed => ({ ok: true, request: { ...body, v: PROTOCOL_VERSION, id } });
  // A fixed switch: the type string selects a case, never a property or a function.
  switch (data['type']) {
    case 'enqueue':
      return isRecord(data['op'])
        ? ok({ type: 'enqueue', op: data['op'] as unknown as OperationInput })
        : bad('enqueue needs an op object');
    case 'enqueueBatch':
      // Array.from turns holes into undefined, which the Outbox refuses per op.
      return Array.isArray(data['ops']) && data['ops'].length > 0 && data['ops'].length <= MAX_BATCH
        ? ok({ type: 'enqueueBatch', ops: Array.from(data['ops'] as unknown[]) as OperationInput[] })
        : bad(`enqueueBatch needs an ops array of 1 to ${MAX_BATCH} ops`);
    case 'update':
      if (!isName(data['opId'])) return bad('update needs an opId');
      // The patch's fields are the Outbox's to check (a typed error says what is wrong).
      return ok({ type: 'update', opId: data['opId'], patch: data['patch'] as OpPatch });
    case 'get':
    case 'retry':
    case 'remove':
      return isName(data['opId'])
        ? ok({ type: data['type'], opId: data['opId'] })
        : bad(`${data['type']} needs an opId`);
    case 'retryAll': {
      const filter = parseRetryFilter(data['filter']);
      return typeof filter === 'string' ? bad(filter) : ok({ type: 'retryAll', filter });
    }
    case 'list': {
      const query = parseQuery(data['query']);
      return typeof query === 'string' ? bad(query) : ok({ type: 'list', query });
    }
    case 'stats': {
      if (data['query'] === undefined) return ok({ type: 'stats' });
      const query = parseQuery(data['query']);
      if (typeof query === 'string') return bad(query);
      return ok({ type: 'stats', query: query.user === undefined ? {} : { user: query.user } });
    }
    case 'status': {
      const since = data['doneSince'];
      const user = data['user'];
      const finite = typeof since === 'number' && Number.isFinite(since);
      if (since !== undefined && !finite) return bad('status.doneSince must be a finite number');
      const badUser = user !== undefined && user !== null && typeof user !== 'string';
      if (badUser) return bad('status.user must be a string or null');
      const scope = user === undefined ? {} : { user };
      return ok({ type: 'status', ...(since !== undefined && { doneSince: since }), ...scope });
    }
    case 'signIn':
      return ok({ type: 'signIn', user: data['user'] as string });
    case 'setCredentials': {
      // The values are the host's to check (a typed invalid-argument says what is wrong); here only the shape.
      if (!isRecord(data['credentials'])) return bad('setCredentials needs a credentials object');
      const epoch = data['epoch'];
      if (epoch !== undefined && !(Number.isInteger(epoch) && (epoch as number) >= 0))
        return bad('setCredentials.epoch must be an integer >= 0');
      const credentials = data['credentials'] as unknown as CredentialsInput;
      return ok({
        type: 'setCredentials',
        user: data['user'] as string,
        credentials,
        ...(epoch !== undefined && { epoch: epoch as number }),
      });
    }
    case 'signOut':
      return ok({ type: 'signOut', user: data['user'] as string, discard: data['discard'] === true });
    case 'syncNow': {
      const waitMs = data['waitMs'];
      if (waitMs === undefined) return ok({ type: 'syncNow' });
      if (typeof waitMs !== 'number' || !(waitMs >= 0)) return bad('syncNow.waitMs must be a number >= 0');
      return ok({ type: 'syncNow', waitMs });
    }
    case 'ping':
      return ok({ type: data['type'] });
    case 'kick':
      return typeof data['reason'] === 'string' && REASONS.includes(data['reason'])
        ? ok({ type: 'kick', reason: data['reason'] as KickReason })
        : bad('kick needs a reason: online, visible or kick');
    default:
      return bad(`unknown request type ${JSON.stringify(String(data['type'])).slice(0, 80)}`);
  }
}

/** The broadcast form of a committed change. */
export function summarize(change: { type: WalRecordType; lsn: number; op: Operation }): ChangeMessage {
  const { id, status, attempt, lastError, nextAttemptAt, lane, kind, seq, user, held, answer } = change.op;
  const op: OpSummary = { id, status, attempt, nextAttemptAt, lane, kind, seq };
  if (lastError) op.lastError = lastError;
  if (user !== undefined) op.user = user;
  if (held !== undefined) op.held = held;
  if (answer !== undefined) op.answer = answer;
  return { v: PROTOCOL_VERSION, type: 'change', change: { type: change.type, lsn: change.lsn, op } };
}
