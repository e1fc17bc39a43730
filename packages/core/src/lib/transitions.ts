/**
 * The op state machine, one function per transition. Each runs inside a
 * readwrite transaction, writes the outbox row and appends its WAL record,
 * and returns what changed. The invariants they keep together:
 *
 * - an op is *active* (pending or inflight) in exactly one lane, ordered by `seq`;
 * - only a lane's lowest-seq active op (its head) may be claimed, so ops that
 *   share a lane go out in enqueue order and at most one is in flight;
 * - a head that leaves the lane (done, failed, discarded) promotes the next op.
 */
import { FerryError } from '../FerryError.ts';
import type { JsonValue, LastError, Operation, ServerAnswer } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import type { RetryPolicy } from '../RetryPolicy.ts';
import type { SendResult } from '../Transport.ts';
import type { WalEntry, WalRecordType } from '../WalRecord.ts';
import { HELD_DUE, laneId } from './lanes.ts';
import { encodeOp, toOperation } from './records.ts';
import type { ValidInput } from './validateInput.ts';

/** What a committed transition reports to subscribers. */
export interface Change {
  type: WalRecordType;
  lsn: number;
  /** The op after the change; for `discard`, the op as it was. */
  op: Operation;
}

/** The lowest-seq active op of the lane `lane` (a {@link laneId}): the only one that may be claimed (or, in flight, the first of its batch). */
async function laneHead(tx: OutboxTx, lane: string): Promise<OpRecord | undefined> {
  return (await tx.laneOps(lane, undefined, 1))[0];
}

export async function promoteNext(tx: OutboxTx, lane: string): Promise<void> {
  const head = await laneHead(tx, lane);
  if (head && head.status === 'pending' && !head.dueKey) await tx.putOp(encodeOp(toOperation(head), true));
}

export async function mustGet(tx: OutboxTx, id: string): Promise<OpRecord> {
  const rec = await tx.getOp(id);
  if (!rec) throw new FerryError('not-found', `no operation ${JSON.stringify(id)}`);
  return rec;
}

/** What recording an outcome must present: the op as its claim returned it (its lease owner and token). */
export type Claimed = Pick<Operation, 'id' | 'leaseOwner' | 'leaseToken'>;

/**
 * Fences an outcome: only the claim that holds the op now may record it.
 * A claim that was superseded (its lease ended, the op was requeued and
 * claimed again) gets `lease-superseded`, and nothing changes.
 */
export function mustHoldLease(rec: OpRecord, claim: Claimed): void {
  if (claim.leaseToken !== undefined && rec.leaseToken !== claim.leaseToken) {
    throw new FerryError(
      'lease-superseded',
      `operation ${rec.id} is no longer held by claim ${claim.leaseToken} (it is ${rec.status}); its answer changes nothing`,
    );
  }
  // Reference bug 4: the seed completed ops nobody had claimed.
  if (rec.status !== 'inflight') throw new FerryError('invalid-state', `operation ${rec.id} is ${rec.status}, not inflight`);
  if (rec.leaseOwner !== claim.leaseOwner) throw new FerryError('invalid-state', `operation ${rec.id} is leased by ${rec.leaseOwner}, not ${claim.leaseOwner}`);
}

/**
 * Thrown inside {@link insert} when caller-given ids are already stored: the
 * transaction is aborted and the caller retries the batch without them. The
 * look-up runs alongside the writes, so the common case (no duplicate) pays
 * no extra round trip; the rare one pays a second transaction.
 */
export class StoredDuplicates extends Error {
  /** The ops already stored under the inputs' ids. */
  readonly stored: ReadonlyMap<string, Operation>;

  constructor(stored: ReadonlyMap<string, Operation>) {
    super(`already stored: ${[...stored.keys()].join(', ')}`);
    this.stored = stored;
  }
}

/**
 * Thrown inside {@link insert} run without the id look-up (`checkIds: false`)
 * when an id turned out to be stored: nothing is kept, and the caller runs the
 * batch again with the look-up. Ids the client makes are fresh nanoids, so
 * this costs a second transaction only when an enqueue is repeated.
 */
export class IdCollision extends Error {
  constructor() {
    super('an id of the batch is already stored');
  }
}

/**
 * Whether an input repeats a stored op (a client enqueueing again after a
 * timeout, with the same id): same kind, target, method, lane, key and
 * payload. A repeat succeeds with the stored op; anything else under that id
 * is a `duplicate-id`. Payloads compare as JSON: a structured-clone copy keeps
 * key order, so a repeat of the same input matches.
 */
export function isRepeat(input: ValidInput, op: Operation): boolean {
  return (
    input.kind === op.kind &&
    input.target === op.target &&
    input.method === op.method &&
    input.lane === op.lane &&
    input.user === op.user &&
    input.idempotencyKey === op.idempotencyKey &&
    JSON.stringify(input.payload) === JSON.stringify(op.payload)
  );
}

/** An input that repeated an op already in the same batch or the store: its caller gets that op, nothing is written. */
export interface Repeat {
  type: 'repeat';
  op: Operation;
}

/**
 * Inserts validated inputs. An id repeated within the batch is a {@link Repeat}
 * of the first when the content is the same, else rejected; never overwritten.
 * Ids already stored abort the transaction with {@link StoredDuplicates}.
 */
export async function insert(tx: OutboxTx, items: readonly ValidInput[], now: number, checkIds = true): Promise<{ changes: (Change | Repeat | FerryError)[] }> {
  const seen = new Map<string, number>();
  const fresh = items.map((it, i) => {
    const dup = seen.has(it.id);
    if (!dup) seen.set(it.id, i);
    return !dup;
  });
  const lanes = [...new Set(items.filter((_, i) => fresh[i]).map(laneId))];
  // Round trips are the cost of a small transaction: reads and WAL appends go out together.
  const [existing, heads, lsns] = await Promise.all([
    Promise.all(items.map((it, i) => (checkIds && it.idGiven && fresh[i] ? tx.getOp(it.id) : undefined))),
    Promise.all(lanes.map((lane) => laneHead(tx, lane))),
    Promise.all(items.map((it, i) => (fresh[i] ? tx.appendWal({ type: 'put', opId: it.id, at: now, status: 'pending', op: build(it, 0, now) }) : 0))),
  ]);
  const stored = new Map(existing.filter((r): r is OpRecord => r !== undefined).map((r) => [r.id, toOperation(r)]));
  if (stored.size > 0) throw new StoredDuplicates(stored);
  // A pending head without its due key (its predecessor was quarantined) would stall the lane: heal it here.
  await Promise.all(heads.map((head) => (head && head.status === 'pending' && !head.dueKey ? tx.putOp(encodeOp(toOperation(head), true)) : undefined)));
  const laneTaken = new Map(lanes.map((lane, i) => [lane, heads[i] !== undefined]));
  const changes: (Change | Repeat | FerryError)[] = [];
  const writes: Promise<void>[] = [];
  items.forEach((it, i) => {
    if (!fresh[i]) {
      const first = changes[seen.get(it.id) as number];
      if (first && !(first instanceof FerryError) && isRepeat(it, first.op)) changes.push({ type: 'repeat', op: first.op });
      else changes.push(new FerryError('duplicate-id', `an operation with id ${JSON.stringify(it.id)} is already stored`));
      return;
    }
    const lsn = lsns[i] as number;
    const op = build(it, lsn, now);
    const isHead = !laneTaken.get(laneId(it));
    laneTaken.set(laneId(it), true);
    writes.push(tx.addOp(encodeOp(op, isHead)));
    changes.push({ type: 'put', lsn, op });
  });
  // Without the look-up, a stored id shows as a failed add: the caller runs the batch again with it.
  await Promise.all(writes).catch((err: unknown) => {
    throw !checkIds && err instanceof FerryError && err.code === 'duplicate-id' ? new IdCollision() : err;
  });
  return { changes };
}

function build(it: ValidInput, seq: number, now: number): Operation {
  const { idGiven: _, coalesceMode: _m, ...fields } = it;
  return { ...fields, status: 'pending', seq, attempt: 0, failures: 0, nextAttemptAt: now, createdAt: now, updatedAt: now };
}

/** Most ops of a lane a coalescing enqueue reads to find the pending op with its key. */
const FOLD_SCAN = 10_000;

/**
 * Enqueues one coalescing input: folds it into the last pending op of its
 * lane with the same `coalesceKey` (`replace`: its payload; `merge`: its
 * fields over the pending op's), which keeps its id and place (an `update`
 * WAL record); an op in flight is never touched. With none to fold into, or
 * when the input's id is already stored (a repeat or a duplicate), it is an
 * ordinary insert.
 */
export async function fold(tx: OutboxTx, input: ValidInput, now: number, maxPayloadBytes: number): Promise<Change | Repeat | FerryError> {
  const [active, stored] = await Promise.all([tx.laneOps(laneId(input), undefined, FOLD_SCAN), input.idGiven ? tx.getOp(input.id) : undefined]);
  const target = [...active].reverse().find((r) => r.status === 'pending' && r.coalesceKey === input.coalesceKey);
  if (!target || stored) return (await insert(tx, [input], now)).changes[0] as Change | Repeat | FerryError;
  const before = toOperation(target);
  const merge = input.coalesceMode === 'merge' && isObject(before.payload) && isObject(input.payload);
  const payload = merge ? { ...(before.payload as Record<string, JsonValue>), ...(input.payload as Record<string, JsonValue>) } : input.payload;
  const bytes = new TextEncoder().encode(JSON.stringify(payload)).length;
  if (bytes > maxPayloadBytes) return new FerryError('payload-too-large', `the merged payload is ${bytes} bytes as JSON; the limit is ${maxPayloadBytes}`);
  // Sent before with the old payload: the new one goes under a new key, or the server would refuse it as a mismatch.
  const sent = before.attempt > 0 || (before.failures ?? 0) > 0;
  const op: Operation = {
    ...before,
    kind: input.kind,
    target: input.target,
    method: input.method,
    payload,
    updatedAt: now,
    ...(sent && { idempotencyKey: input.idempotencyKey }),
  };
  const lsn = await tx.appendWal({ type: 'update', opId: op.id, at: now, status: op.status, op });
  await tx.putOp(encodeOp(op, target.dueKey !== undefined));
  return { type: 'update', lsn, op };
}

const isObject = (v: JsonValue): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a claim needs besides its owner and size. */
export interface ClaimOptions {
  /** Lease tokens this runner has on the wire now: their leases are never requeued under it, even if they look expired. */
  live?: ReadonlySet<number>;
  /** When `op`'s destination asked for a pause (see Transport.heldUntil). */
  heldUntil?: (op: Operation, now: number) => number | undefined;
  /** Why `op` cannot be sent until released (no credentials for its user), if so (see Transport.holds). */
  holds?: (op: Operation) => string | undefined;
}

/** Most expired leases one claim returns per read; it reads again while a read comes back full. */
const EXPIRED_PAGE = 500;

/**
 * Claims up to `limit` due lane heads for `owner` until `now + leaseMs`,
 * after returning expired leases to `pending` in the same transaction (the
 * seed's tick does both; one transaction costs less than two). A head whose
 * destination asked for a pause is deferred to then, spending nothing; a
 * head older than `maxAgeMs` fails. With `perLane > 1`, each head comes
 * with up to `perLane - 1` of the due pending ops right behind it in its
 * lane, for one batch send; they are all in flight together, so the lane
 * still has one send at a time. Each claimed op carries its token, the LSN of
 * its claim record. Returns the requeue, defer and fail changes, then the
 * claims, each lane's ops together in enqueue order.
 */
export async function claim(
  tx: OutboxTx,
  owner: string,
  limit: number,
  leaseMs: number,
  policy: RetryPolicy,
  now: number,
  perLane = 1,
  options: ClaimOptions = {},
): Promise<Change[]> {
  const changes = await requeueExpired(tx, now, policy, options.live);
  const runs: OpRecord[][] = [];
  // Deferred, held and expired heads leave the due set, so reading again finds the next ones; the
  // heads already taken are still in it (their claims are written below), so they are skipped.
  const taken = new Set<string>();
  for (let round = 0; runs.length < limit && round < 8; round++) {
    const read = await tx.dueHeads(now, limit - runs.length + taken.size);
    const heads = read.filter((h) => !taken.has(h.id));
    if (heads.length === 0) break;
    const set: OpRecord[] = [];
    for (const head of heads) {
      const op = toOperation(head);
      const held = options.heldUntil?.(op, now);
      const tooOld = policy.tooOld(op.createdAt, now);
      const hold = tooOld ? undefined : options.holds?.(op);
      if (tooOld) changes.push(await expire(tx, head, policy, now));
      else if (hold !== undefined) changes.push(await holdHead(tx, head, hold, now));
      else if (held !== undefined && held > now) changes.push(await defer(tx, head, held, now));
      else set.push(head);
    }
    for (const head of set) taken.add(head.id);
    runs.push(
      ...(perLane > 1
        ? await Promise.all(set.map(async (head) => [head, ...readyBehind(await tx.laneOps(laneId(head), head.seq, perLane - 1), now)]))
        : set.map((h) => [h])),
    );
    if (set.length === heads.length) break;
  }
  const recs = runs.flat();
  // The token is the claim record's LSN: appended first, then the ops written with it.
  const lsns = await Promise.all(
    recs.map((rec) => tx.appendWal({ type: 'claim', opId: rec.id, at: now, status: 'inflight', attempt: rec.attempt, leaseOwner: owner })),
  );
  const claimed = await Promise.all(
    recs.map(async (rec, i) => {
      const lsn = lsns[i] as number;
      const op: Operation = { ...toOperation(rec), status: 'inflight', leaseOwner: owner, leaseUntil: now + leaseMs, leaseToken: lsn, updatedAt: now };
      await tx.putOp(encodeOp(op, true));
      return { type: 'claim' as const, lsn, op };
    }),
  );
  return [...changes, ...claimed];
}

/** Returns every expired lease not in `live` to its lane, a page at a time. */
async function requeueExpired(tx: OutboxTx, now: number, policy: RetryPolicy, live: ReadonlySet<number> | undefined): Promise<Change[]> {
  const changes: Change[] = [];
  const skipped = new Set<string>();
  for (;;) {
    const expired = await tx.expiredLeases(now, EXPIRED_PAGE + skipped.size);
    const orphans = expired.filter((r) => !skipped.has(r.id) && !(r.leaseToken !== undefined && live?.has(r.leaseToken)));
    for (const r of expired) if (r.leaseToken !== undefined && live?.has(r.leaseToken)) skipped.add(r.id);
    if (orphans.length > 0) changes.push(...(await requeueLeased(tx, orphans, policy, now)));
    if (expired.length < EXPIRED_PAGE + skipped.size || orphans.length === 0) return changes;
  }
}

/** A head whose destination asked for a pause: due again when the pause ends, nothing spent. */
async function defer(tx: OutboxTx, rec: OpRecord, until: number, now: number): Promise<Change> {
  const op: Operation = { ...toOperation(rec), nextAttemptAt: until, updatedAt: now };
  const reason = 'its origin asked for a pause (Retry-After)';
  const [lsn] = await Promise.all([
    tx.appendWal({ type: 'defer', opId: op.id, at: now, status: 'pending', attempt: op.attempt, nextAttemptAt: until, reason }),
    tx.putOp(encodeOp(op, true)),
  ]);
  return { type: 'defer', lsn, op };
}

/** A head that cannot be sent until released (see {@link release}): it leaves the due set, nothing spent. */
async function holdHead(tx: OutboxTx, rec: OpRecord, reason: string, now: number): Promise<Change> {
  const op: Operation = { ...toOperation(rec), held: reason, updatedAt: now };
  const [lsn] = await Promise.all([
    tx.appendWal({ type: 'hold', opId: op.id, at: now, status: 'pending', attempt: op.attempt, reason }),
    tx.putOp(encodeOp(op, true)),
  ]);
  return { type: 'hold', lsn, op };
}

/**
 * Releases the held lane heads `match` picks (their user's credentials
 * came): each is due again at its own `nextAttemptAt`, so a backoff that was
 * running still runs. Held heads sit apart in the due index, so this reads
 * only them (one per held lane).
 */
export async function release(tx: OutboxTx, match: (op: Operation) => boolean, now: number): Promise<Change[]> {
  const changes: Change[] = [];
  const held = await tx.dueHeads(HELD_DUE, Infinity, HELD_DUE);
  for (const rec of held) {
    const before = toOperation(rec);
    if (before.held === undefined || !match(before)) continue;
    const op: Operation = { ...before, updatedAt: now };
    delete op.held;
    const [lsn] = await Promise.all([
      tx.appendWal({ type: 'release', opId: op.id, at: now, status: 'pending', attempt: op.attempt, nextAttemptAt: op.nextAttemptAt }),
      tx.putOp(encodeOp(op, true)),
    ]);
    changes.push({ type: 'release', lsn, op });
  }
  return changes;
}

/** A head that waited longer than `maxAgeMs`: a dead letter, and the lane moves on. */
async function expire(tx: OutboxTx, rec: OpRecord, policy: RetryPolicy, now: number): Promise<Change> {
  const lastError: LastError = { message: tooOldMessage(rec, policy, now), retryable: false, at: now };
  const op: Operation = { ...toOperation(rec), status: 'failed', lastError, updatedAt: now };
  const [lsn] = await Promise.all([
    tx.appendWal({ type: 'fail', opId: op.id, at: now, status: 'failed', attempt: op.attempt, error: lastError }),
    tx.putOp(encodeOp(op, false)),
    promoteNext(tx, laneId(op)),
  ]);
  return { type: 'fail', lsn, op };
}

function tooOldMessage(op: Pick<Operation, 'createdAt'>, policy: RetryPolicy, now: number): string {
  return `expired: queued ${now - op.createdAt} ms ago, longer than maxAgeMs (${policy.options.maxAgeMs})`;
}

/** The leading ops of `behind` (a lane after its head) that could be sent now: pending and due. */
function readyBehind(behind: readonly OpRecord[], now: number): OpRecord[] {
  const stop = behind.findIndex((r) => r.status !== 'pending' || r.nextAttemptAt > now);
  return stop === -1 ? [...behind] : behind.slice(0, stop);
}

/** Marks a claimed op done. Only the claim that holds it may. */
export async function complete(tx: OutboxTx, claim: Claimed, now: number, answer?: ServerAnswer): Promise<Change> {
  const rec = await mustGet(tx, claim.id);
  mustHoldLease(rec, claim);
  const { op, entry } = afterDone(rec, now, answer);
  // Requests run in issue order, so the lane-head read already sees this op done.
  const [lsn] = await Promise.all([tx.appendWal(entry), tx.putOp(encodeOp(op, false)), promoteNext(tx, laneId(op))]);
  return { type: 'done', lsn, op };
}

/** An op and its WAL record after a transition, before they are written. */
export interface Outcome<T extends WalRecordType = WalRecordType> {
  type: T;
  op: Operation;
  entry: WalEntry;
}

/** What a successful send makes of a claimed op. */
export function afterDone(rec: OpRecord, now: number, answer?: ServerAnswer): Outcome<'done'> {
  const op: Operation = { ...toOperation(rec), status: 'done', attempt: rec.attempt + 1, updatedAt: now, ...(answer && { answer }) };
  dropLease(op);
  return { type: 'done', op, entry: { type: 'done', opId: op.id, at: now, status: 'done', attempt: op.attempt } };
}

export interface FailureFacts {
  result: SendResult;
  /** The probe said offline after the send: the attempt is not spent, and the op is due again at once. */
  offline?: boolean;
  /** The runner stopped and cut the send short: nothing spent, due again at once. */
  stopped?: boolean;
}

/**
 * Records a failed send: retryable → pending again after a backoff (or
 * `failed` once attempts run out); permanent → `failed`. The attempt count is
 * persisted in the same transaction (reference bug 1), and a failed op leaves
 * its lane so that it is never ready again by itself (bug 2).
 */
export async function recordFailure(tx: OutboxTx, claim: Claimed, facts: FailureFacts, policy: RetryPolicy, now: number): Promise<Change> {
  const rec = await mustGet(tx, claim.id);
  mustHoldLease(rec, claim);
  const { type, op, entry } = afterFailure(rec, facts, policy, now);
  const [lsn] = await Promise.all([
    tx.appendWal(entry),
    // A retried or held op stays its lane's head; a failed one leaves the lane to the next.
    tx.putOp(encodeOp(op, type !== 'fail')),
    type === 'fail' ? promoteNext(tx, laneId(op)) : undefined,
  ]);
  return { type, lsn, op };
}

/**
 * What a failed send makes of a claimed op (see {@link recordFailure}).
 * Only the server's answers spend attempts: a failure the transport marks
 * `free` (no answer while the origin answered nothing else; 409 in progress),
 * or one while offline or stopped, spends none. Every failure but offline or
 * stopped ones grows the backoff, so an outage costs few requests.
 */
export function afterFailure(rec: OpRecord, facts: FailureFacts, policy: RetryPolicy, now: number): Outcome<'retry' | 'fail' | 'hold'> {
  const { result } = facts;
  const idle = facts.offline === true || facts.stopped === true;
  const spend = !idle && result.free !== true;
  const attempt = rec.attempt + (spend ? 1 : 0);
  const failures = (rec.failures ?? rec.attempt) + (idle ? 0 : 1);
  const retryable = result.retryable === true;
  const lastError: LastError = { message: result.error ?? (retryable ? 'temporary failure' : 'rejected'), retryable, at: now };
  if (result.status !== undefined) lastError.status = result.status;
  if (result.since !== undefined) lastError.since = result.since;
  const base: Operation = { ...toOperation(rec), attempt, failures, lastError, updatedAt: now };
  dropLease(base);
  // The answer to this send, if any: an earlier one no longer describes the op.
  if (result.answer) base.answer = result.answer;
  else delete base.answer;

  const tooOld = retryable && policy.tooOld(rec.createdAt, now);
  if (!retryable || policy.exhausted(attempt) || tooOld) {
    if (tooOld && !policy.exhausted(attempt)) lastError.message = `${tooOldMessage(rec, policy, now)}; last failure: ${lastError.message}`;
    else if (retryable) lastError.message = `gave up after ${attempt} attempts: ${lastError.message}`;
    const op: Operation = { ...base, status: 'failed' };
    return { type: 'fail', op, entry: { type: 'fail', opId: op.id, at: now, status: 'failed', attempt, error: lastError } };
  }
  if (result.hold !== undefined) {
    // Waits for its user's credentials, not for a time: released when they come (see release).
    const op: Operation = { ...base, status: 'pending', nextAttemptAt: now, held: result.hold };
    return { type: 'hold', op, entry: { type: 'hold', opId: op.id, at: now, status: 'pending', attempt, reason: result.hold, error: lastError } };
  }
  // Due again no later than the moment it passes maxAgeMs, when the claim fails it.
  const wait = Math.min(idle ? 0 : policy.delay(failures, result.retryAfterMs), rec.createdAt + policy.options.maxAgeMs + 1 - now);
  const op: Operation = { ...base, status: 'pending', nextAttemptAt: now + Math.max(0, wait) };
  return {
    type: 'retry',
    op,
    entry: { type: 'retry', opId: op.id, at: now, status: 'pending', attempt, nextAttemptAt: op.nextAttemptAt, error: lastError },
  };
}

function dropLease(op: Operation): void {
  delete op.leaseOwner;
  delete op.leaseUntil;
  delete op.leaseToken;
}

/**
 * Returns in-flight ops to `pending` because their runner is gone (lease
 * ended, or the runner's lock was released). A runner claims an op right
 * before it sends it, so a lease means the op went on the wire; that send's
 * outcome is unknown, so the attempt counts. The op keeps its idempotency
 * key, so a server that did apply it will recognise the resend. One at a
 * time, in enqueue order: the ops of one batch share a lane, and only the
 * first of them that stays queued may head it.
 */
export async function requeueLeased(tx: OutboxTx, recs: readonly OpRecord[], policy: RetryPolicy, now: number): Promise<Change[]> {
  const changes: Change[] = [];
  for (const rec of [...recs].sort((a, b) => a.seq - b.seq)) {
    const attempt = rec.attempt + 1;
    const failures = (rec.failures ?? rec.attempt) + 1;
    const lastError: LastError = { message: `lease held by ${rec.leaseOwner} ended without an outcome`, retryable: true, at: now };
    const op: Operation = { ...toOperation(rec), attempt, failures, lastError, updatedAt: now, status: 'pending', nextAttemptAt: now };
    dropLease(op);
    if (policy.exhausted(attempt)) {
      op.status = 'failed';
      lastError.message = `gave up after ${attempt} attempts: ${lastError.message}`;
      const [lsn] = await Promise.all([
        tx.appendWal({ type: 'fail', opId: op.id, at: now, status: 'failed', attempt, error: lastError }),
        tx.putOp(encodeOp(op, false)),
        promoteNext(tx, laneId(op)),
      ]);
      changes.push({ type: 'fail', lsn, op });
      continue;
    }
    const head = await laneHead(tx, laneId(op));
    const [lsn] = await Promise.all([
      tx.appendWal({ type: 'requeue', opId: op.id, at: now, status: 'pending', attempt, nextAttemptAt: now }),
      tx.putOp(encodeOp(op, head?.id === op.id)),
    ]);
    changes.push({ type: 'requeue', lsn, op });
  }
  return changes;
}

/** Puts a failed op back at the end of its lane with a fresh attempt budget. */
export async function retryFailed(tx: OutboxTx, id: string, now: number): Promise<Change> {
  const rec = await mustGet(tx, id);
  if (rec.status !== 'failed') throw new FerryError('invalid-state', `operation ${id} is ${rec.status}; only failed operations can be retried`);
  // A new seq moves it behind the lane's queued ops: it cannot overtake an op already in flight.
  const head = await laneHead(tx, laneId(rec));
  const draft: Operation = { ...toOperation(rec), status: 'pending', attempt: 0, failures: 0, nextAttemptAt: now, updatedAt: now };
  // A fresh start: the old error would make a requeued op look like one that is retrying.
  delete draft.lastError;
  delete draft.held;
  const lsn = await tx.appendWal({ type: 'requeue', opId: id, at: now, status: 'pending', attempt: 0, nextAttemptAt: now, op: draft });
  const op: Operation = { ...draft, seq: lsn };
  await tx.putOp(encodeOp(op, head === undefined));
  return { type: 'requeue', lsn, op };
}

/** What `update` may change of a queued op: its intent, never its bookkeeping. */
export type OpPatch = Partial<Pick<Operation, 'kind' | 'target' | 'method' | 'payload'>>;

/** Refuses an edit or a cancel of an op that is on the wire or already delivered: nothing changes. */
function mustBeQueued(rec: OpRecord, what: string): void {
  if (rec.status === 'inflight') throw new FerryError('invalid-state', `operation ${rec.id} is being sent; it cannot be ${what} (wait for the send to settle)`);
  if (rec.status === 'done') throw new FerryError('invalid-state', `operation ${rec.id} was delivered; it cannot be ${what}`);
}

/**
 * Cancels an op not yet delivered (pending, or a dead letter): it is
 * deleted and never sent; the lane goes on with the op behind it.
 */
export async function cancel(tx: OutboxTx, id: string, now: number): Promise<Change> {
  const rec = await mustGet(tx, id);
  mustBeQueued(rec, 'cancelled');
  const lsn = await tx.appendWal({ type: 'cancel', opId: id, at: now });
  await tx.deleteOp(id);
  if (rec.status === 'pending') await promoteNext(tx, laneId(rec));
  return { type: 'cancel', lsn, op: toOperation(rec) };
}

/**
 * Replaces fields of an op not yet delivered, in place: it keeps its id,
 * its place in its lane and its state. `valid` is the op's input after the
 * patch, already validated. An op that went on the wire before (its outcome
 * unknown or refused) gets a new idempotency key, so that the edit is not
 * refused as another payload under the old key; the earlier send may then
 * also have been applied.
 */
export async function update(
  tx: OutboxTx,
  id: string,
  valid: Pick<Operation, 'kind' | 'target' | 'method' | 'payload'>,
  newKey: string,
  now: number,
): Promise<Change> {
  const rec = await mustGet(tx, id);
  mustBeQueued(rec, 'edited');
  const sent = rec.attempt > 0 || (rec.failures ?? 0) > 0;
  const op: Operation = { ...toOperation(rec), ...valid, updatedAt: now, ...(sent && { idempotencyKey: newKey }) };
  const lsn = await tx.appendWal({ type: 'update', opId: id, at: now, status: op.status, op });
  // A head keeps its due key (and a held head its hold): only the intent changed.
  await tx.putOp(encodeOp(op, rec.dueKey !== undefined));
  return { type: 'update', lsn, op };
}

/** Removes an op that is not in flight. */
export async function discard(tx: OutboxTx, id: string, now: number): Promise<Change> {
  const rec = await mustGet(tx, id);
  if (rec.status === 'inflight') throw new FerryError('invalid-state', `operation ${id} is in flight; discard it after the send settles`);
  const lsn = await tx.appendWal({ type: 'discard', opId: id, at: now });
  await tx.deleteOp(id);
  if (rec.status === 'pending') await promoteNext(tx, laneId(rec));
  return { type: 'discard', lsn, op: toOperation(rec) };
}
