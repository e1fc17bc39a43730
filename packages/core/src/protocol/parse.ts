/** The host's validator of what a page posts: anything malformed is refused before it reaches the engine. */
import type { OperationInput, OperationStatus } from '../Operation.ts';
import { OPERATION_STATUSES } from '../Operation.ts';
import { isRecord } from '../lib/isRecord.ts';
import type { ListQuery } from '../OutboxStore.ts';
import type { OpPatch } from '../state/edit.ts';
import type { RetryFilter } from '../state/retry.ts';
import type { KickReason } from './names.ts';
import { MAX_BATCH, PROTOCOL_VERSION } from './names.ts';
import type { CredentialsInput, HistoryQuery, PauseQuery, Request, RequestBody } from './messages.ts';

export type Parsed = { ok: true; request: Request } | { ok: false; id: string | null; message: string };

const MAX_ID = 256;
const REASONS: readonly string[] = ['online', 'visible', 'kick'] satisfies KickReason[];

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;

/** Most ids one `retry` filter may name. */
const MAX_RETRY_IDS = 10_000;

function parseRetryFilter(f: unknown): RetryFilter | string {
  if (!isRecord(f)) return 'retry.filter must be an object';
  const out: RetryFilter = {};
  for (const key of ['lane', 'user'] as const) {
    if (f[key] === undefined) continue;
    if (!isName(f[key])) return `retry.filter.${key} must be a non-empty string`;
    out[key] = f[key];
  }
  if (f['ids'] !== undefined) {
    const ids = f['ids'];
    if (!Array.isArray(ids) || ids.length > MAX_RETRY_IDS || !ids.every(isName)) {
      return `retry.filter.ids must be an array of at most ${MAX_RETRY_IDS} ids`;
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
    case 'retry': {
      // Exactly one of the two: a malformed request never widens into "retry every dead letter".
      if ((data['opId'] === undefined) === (data['filter'] === undefined))
        return bad('retry needs either an opId or a filter');
      if (data['opId'] !== undefined)
        return isName(data['opId']) ? ok({ type: 'retry', opId: data['opId'] }) : bad('retry needs an opId');
      const filter = parseRetryFilter(data['filter']);
      return typeof filter === 'string' ? bad(filter) : ok({ type: 'retry', filter });
    }
    case 'get':
    case 'remove':
      return isName(data['opId'])
        ? ok({ type: data['type'], opId: data['opId'] })
        : bad(`${data['type']} needs an opId`);
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
    case 'history':
      // Its fields are checked by the host's DevTools entry, the only one that serves it.
      return isRecord(data['query'])
        ? ok({ type: 'history', query: data['query'] as HistoryQuery })
        : bad('history needs a query object');
    case 'pauses':
      // The pause's fields are checked by the host's DevTools entry, the only one that serves it.
      if (data['pause'] === undefined) return ok({ type: 'pauses' });
      return isRecord(data['pause'])
        ? ok({ type: 'pauses', pause: data['pause'] as unknown as PauseQuery })
        : bad('pauses.pause must be an object');
    case 'kick':
      return typeof data['reason'] === 'string' && REASONS.includes(data['reason'])
        ? ok({ type: 'kick', reason: data['reason'] as KickReason })
        : bad('kick needs a reason: online, visible or kick');
    default:
      return bad(`unknown request type ${JSON.stringify(String(data['type'])).slice(0, 80)}`);
  }
}
