/**
 * Edits of queued ops: a coalescing enqueue, `update` and `remove`. An op that may have reached the server (see possiblyDelivered)
 * is never edited in place: its key may already be stored with its payload,
 * so the edit would be refused as another payload, or lost. A coalescing
 * enqueue then becomes a new op behind it; `update` and `remove` reject
 * (`remove` still deletes a failed op: a dead letter is the app's to drop).
 */
import { FerryError } from '../FerryError.ts';
import type { JsonValue, Operation } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import { isRecord } from '../lib/isRecord.ts';
import { laneId } from '../lib/lanes.ts';
import { encodeOp, toOperation } from '../lib/records.ts';
import type { ValidInput, ValidPatch } from '../lib/validateInput.ts';
import type { Repeat } from './insert.ts';
import { insert } from './insert.ts';
import type { Change } from './lane.ts';
import { mustGet, possiblyDelivered } from './lane.ts';
import { promoteNext } from '../lib/promoteNext.ts';

/** What `update` may change of a queued op: its intent, never its bookkeeping. */
export type OpPatch = Partial<Pick<Operation, 'kind' | 'target' | 'method' | 'payload'>>;

/** Most ops of a lane a coalescing enqueue reads to find the last op with its key. */
const FOLD_SCAN = 10_000;
/** The meta key under which the last folds are kept: `[input id, op id]` pairs, as JSON. */
const FOLDS_META = 'recentFolds';
/** How many folds are remembered: enough for the repeats of a client that timed out. */
const FOLDS_KEPT = 100;

async function recentFolds(tx: OutboxTx): Promise<[string, string][]> {
  const raw = await tx.getMeta(FOLDS_META);
  try {
    const list: unknown = typeof raw === 'string' ? JSON.parse(raw) : [];
    const isPair = (p: unknown): p is [string, string] => Array.isArray(p) && p.every((s) => typeof s === 'string');
    return Array.isArray(list) ? list.filter(isPair) : [];
  } catch {
    return [];
  }
}

/** What a coalescing enqueue made: a change, the op a repeat resolves to, or why it was refused. */
export type Folded = Change | Repeat | FerryError;

/**
 * Enqueues one coalescing input: folds it into the last op of its lane with
 * the same `coalesceKey` when that op is pending and was never sent
 * (`replace`: its payload; `merge`: its fields over the op's), which keeps
 * its id, key and place (an `update` WAL record). Otherwise (the last such op
 * is in flight or may have reached the server, or there is none) it is an
 * ordinary insert behind it. A repeat of an input (same id) resolves to the
 * op it made or went into, whatever was folded into that op since; another
 * input under a stored id is a repeat or a duplicate, as for any insert.
 */
export async function fold(tx: OutboxTx, input: ValidInput, now: number, maxBytes: number): Promise<Folded> {
  const [active, stored, folds] = await Promise.all([
    tx.laneOps(laneId(input), undefined, FOLD_SCAN),
    input.idGiven ? tx.getOp(input.id) : undefined,
    input.idGiven ? recentFolds(tx) : [],
  ]);
  // A repeat of an enqueue that made this op: later saves may have folded into it since.
  const madeIt = stored && stored.coalesceKey === input.coalesceKey && laneId(stored) === laneId(input);
  if (madeIt) return { type: 'repeat', op: toOperation(stored) };
  const into = stored ? undefined : folds.find(([from]) => from === input.id)?.[1];
  const folded = into === undefined ? undefined : await tx.getOp(into);
  if (folded) return { type: 'repeat', op: toOperation(folded) };
  const last = [...active].reverse().find((r) => r.coalesceKey === input.coalesceKey);
  const target = last && last.status === 'pending' && !possiblyDelivered(last) ? last : undefined;
  if (!target || stored) return (await insert(tx, { items: [input], now })).changes[0] as Folded;
  const before = toOperation(target);
  const merge = input.coalesceMode === 'merge' && isObject(before.payload) && isObject(input.payload);
  const payload = merge ? { ...(before.payload as JsonObject), ...(input.payload as JsonObject) } : input.payload;
  const bytes = new TextEncoder().encode(JSON.stringify(payload)).length;
  const tooLarge = `the merged payload is ${bytes} bytes as JSON; the limit is ${maxBytes}`;
  if (bytes > maxBytes) return new FerryError('payload-too-large', tooLarge);
  // Never sent, so its key is not stored anywhere yet: the op keeps it.
  const intent = { kind: input.kind, target: input.target, method: input.method, payload };
  const op: Operation = { ...before, ...intent, updatedAt: now };
  const remembered = JSON.stringify([...folds.slice(1 - FOLDS_KEPT), [input.id, op.id]]);
  const [lsn] = await Promise.all([
    tx.appendWal({ type: 'update', opId: op.id, at: now, status: op.status, op }),
    tx.putOp(encodeOp(op, target.dueKey !== undefined)),
    input.idGiven ? tx.putMeta(FOLDS_META, remembered) : null,
  ]);
  return { type: 'update', lsn, op };
}

type JsonObject = Record<string, JsonValue>;
const isObject = (v: JsonValue): v is JsonObject => isRecord(v);
/** Refuses an edit or a removal of an op that may have reached the server or was delivered: nothing changes. */
function mustBeUnsent(rec: OpRecord, what: string): void {
  if (rec.status === 'done') {
    throw new FerryError('invalid-state', `operation ${rec.id} was delivered; it cannot be ${what}`);
  }
  if (rec.status === 'inflight' || possiblyDelivered(rec)) {
    const why = `operation ${rec.id} may have reached the server (it was sent)`;
    throw new FerryError('possibly-delivered', `${why}; it cannot be ${what}: enqueue the change as a new operation`);
  }
}

/**
 * Removes an op that was never sent, or a failed one (a dead letter): it is
 * deleted and never sent again; the lane goes on with the op behind it.
 */
export async function remove(tx: OutboxTx, id: string, now: number): Promise<Change> {
  const rec = await mustGet(tx, id);
  if (rec.status !== 'failed') mustBeUnsent(rec, 'removed');
  return drop(tx, rec, now);
}

/**
 * Replaces fields of an op that was never sent, in place, reading and
 * writing in this one transaction: it keeps its id, key, place in its lane
 * and state. `patch` is already validated.
 */
export async function update(tx: OutboxTx, id: string, patch: ValidPatch, now: number): Promise<Change> {
  const rec = await mustGet(tx, id);
  mustBeUnsent(rec, 'edited');
  const op: Operation = { ...toOperation(rec), ...patch, updatedAt: now };
  const lsn = await tx.appendWal({ type: 'update', opId: id, at: now, status: op.status, op });
  // A head keeps its due key (and a held head its hold): only the intent changed.
  await tx.putOp(encodeOp(op, rec.dueKey !== undefined));
  return { type: 'update', lsn, op };
}

/**
 * Deletes an op that is not in flight, whatever its past (a sign-out that
 * discards its user's queue): a `remove` record, and the lane goes on.
 */
export async function drop(tx: OutboxTx, rec: OpRecord, now: number): Promise<Change> {
  if (rec.status === 'inflight') {
    throw new FerryError('invalid-state', `operation ${rec.id} is in flight; remove it after the send settles`);
  }
  const lsn = await tx.appendWal({ type: 'remove', opId: rec.id, at: now });
  await tx.deleteOp(rec.id);
  if (rec.status === 'pending') await promoteNext(tx, laneId(rec));
  return { type: 'remove', lsn, op: toOperation(rec) };
}
