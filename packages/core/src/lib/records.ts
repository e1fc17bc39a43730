import type { LastError, Operation } from '../Operation.ts';
import { HTTP_METHODS, OPERATION_STATUSES } from '../Operation.ts';
import type { OpRecord } from '../OutboxStore.ts';
import type { WalRecord } from '../WalRecord.ts';
import { LEGACY_REMOVE_TYPES, WAL_RECORD_TYPES } from '../WalRecord.ts';
import { isRecord as isObj } from './isRecord.ts';
import { HELD_DUE, laneId } from './lanes.ts';

/**
 * Builds the stored form of an op. `isHead` says whether the op is the
 * lowest-seq active op of its lane, which only the state machine knows.
 */
export function encodeOp(op: Operation, isHead: boolean): OpRecord {
  const rec: OpRecord = { ...op, v: 1, statusKey: [op.status, op.seq] };
  delete rec.laneKey;
  delete rec.dueKey;
  if (op.status === 'pending' || op.status === 'inflight') rec.laneKey = [laneId(op), op.seq];
  if (op.status !== 'pending') delete rec.held;
  if (op.status === 'pending' && isHead) rec.dueKey = [rec.held === undefined ? op.nextAttemptAt : HELD_DUE, op.seq];
  if (op.status !== 'inflight') {
    delete rec.leaseOwner;
    delete rec.leaseUntil;
    delete rec.onWire;
  }
  if (rec.lastError === undefined) delete rec.lastError;
  return rec;
}

/** The public Operation, without the index keys. */
export function toOperation(rec: OpRecord): Operation {
  const { v: _v, laneKey: _l, dueKey: _d, statusKey: _s, ...op } = rec;
  return op;
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function isLastError(v: unknown): v is LastError {
  return (
    isObj(v) &&
    isStr(v['message']) &&
    typeof v['retryable'] === 'boolean' &&
    isNum(v['at']) &&
    (v['status'] === undefined || isNum(v['status']))
  );
}

/**
 * Checks that a value read back from storage is an op record this version
 * understands. Returns the record, or the reason it is not one.
 */
export function decodeOp(raw: unknown): OpRecord | string {
  if (!isObj(raw)) return 'not an object';
  if (raw['v'] !== 1) return `unknown schema version ${String(raw['v'])}`;
  for (const key of ['id', 'kind', 'target', 'lane', 'idempotencyKey'] as const) {
    if (!isStr(raw[key]) || raw[key] === '') return `bad ${key}`;
  }
  if (raw['user'] !== undefined && (!isStr(raw['user']) || raw['user'] === '')) return 'bad user';
  if (raw['held'] !== undefined && (!isStr(raw['held']) || raw['status'] !== 'pending')) return 'bad held';
  if (!HTTP_METHODS.includes(raw['method'] as never)) return 'bad method';
  if (!OPERATION_STATUSES.includes(raw['status'] as never)) return 'bad status';
  for (const key of ['seq', 'attempt', 'nextAttemptAt', 'createdAt', 'updatedAt'] as const) {
    if (!isNum(raw[key])) return `bad ${key}`;
  }
  if (!('payload' in raw)) return 'missing payload';
  for (const key of ['possiblyDelivered', 'onWire'] as const) {
    if (raw[key] !== undefined && raw[key] !== true) return `bad ${key}`;
  }
  if (raw['retriedAt'] !== undefined && !isNum(raw['retriedAt'])) return 'bad retriedAt';
  if (raw['lastError'] !== undefined && !isLastError(raw['lastError'])) return 'bad lastError';
  if (raw['answer'] !== undefined && !(isObj(raw['answer']) && isNum(raw['answer']['status']))) return 'bad answer';
  if (raw['status'] === 'inflight' && (!isStr(raw['leaseOwner']) || !isNum(raw['leaseUntil'])))
    return 'inflight without lease';
  if (raw['status'] !== 'inflight' && raw['leaseUntil'] !== undefined) return 'lease on an op that is not inflight';
  // The index keys decide what the queries offer: they must agree with the op's state,
  // or a stale dueKey would offer a done op for claiming.
  const same = (key: unknown, want: unknown[]): boolean =>
    Array.isArray(key) && key.length === want.length && key.every((k, i) => k === want[i]);
  if (!same(raw['statusKey'], [raw['status'], raw['seq']])) return 'statusKey does not match status and seq';
  const active = raw['status'] === 'pending' || raw['status'] === 'inflight';
  const lane = laneId(raw as { lane: string; user?: string });
  if (active ? !same(raw['laneKey'], [lane, raw['seq']]) : raw['laneKey'] !== undefined)
    return 'laneKey does not match the op';
  const due = raw['held'] === undefined ? raw['nextAttemptAt'] : HELD_DUE;
  if (raw['dueKey'] !== undefined && (raw['status'] !== 'pending' || !same(raw['dueKey'], [due, raw['seq']])))
    return 'dueKey does not match the op';
  return raw as unknown as OpRecord;
}

/** Same as `decodeOp`, for WAL records. */
export function decodeWal(raw: unknown): WalRecord | string {
  if (!isObj(raw)) return 'not an object';
  if (raw['v'] !== 1) return `unknown schema version ${String(raw['v'])}`;
  if (!isNum(raw['lsn'])) return 'bad lsn';
  const legacy = LEGACY_REMOVE_TYPES.includes(raw['type'] as never);
  if (!legacy && !WAL_RECORD_TYPES.includes(raw['type'] as never)) return 'bad type';
  if (!isStr(raw['opId']) || !isNum(raw['at'])) return 'bad opId or at';
  return (legacy ? { ...raw, type: 'remove' } : raw) as unknown as WalRecord;
}

/**
 * The lane an unreadable op record was in, when that much can still be read:
 * quarantining a lane's head must promote the op behind it, or the lane stalls.
 */
export function laneOfRaw(raw: unknown): string | undefined {
  if (!isObj(raw)) return undefined;
  const lane = raw['lane'];
  const user = raw['user'];
  if (isStr(lane) && lane !== '') return laneId(isStr(user) && user !== '' ? { lane, user } : { lane });
  // The index key holds the lane's id (the name, and the user when there is one).
  const key = raw['laneKey'];
  return Array.isArray(key) && isStr(key[0]) ? key[0] : undefined;
}
