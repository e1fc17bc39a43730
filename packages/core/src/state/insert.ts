/** Enqueue: new ops join the end of their lane. */
import { FerryError } from '../FerryError.ts';
import type { Operation } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import { laneId } from '../lib/lanes.ts';
import { encodeOp, toOperation } from '../lib/records.ts';
import type { ValidInput } from '../lib/validateInput.ts';
import type { Change } from './lane.ts';
import { laneHead } from './lane.ts';

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
export async function insert(
  tx: OutboxTx,
  {
    items,
    now,
    checkIds = true,
  }: {
    items: readonly ValidInput[];
    now: number;
    /** Look each given id up first, telling repeats from duplicates. @default true */
    checkIds?: boolean;
  },
): Promise<{ changes: (Change | Repeat | FerryError)[] }> {
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
    Promise.all(
      items.map((it, i) =>
        fresh[i] ? tx.appendWal({ type: 'put', opId: it.id, at: now, status: 'pending', op: build(it, 0, now) }) : 0,
      ),
    ),
  ]);
  const stored = new Map(existing.filter((r): r is OpRecord => r !== undefined).map((r) => [r.id, toOperation(r)]));
  if (stored.size > 0) throw new StoredDuplicates(stored);
  // A pending head without its due key (its predecessor was quarantined) would stall the lane: heal it here.
  await Promise.all(
    heads.map((head) =>
      head && head.status === 'pending' && !head.dueKey ? tx.putOp(encodeOp(toOperation(head), true)) : undefined,
    ),
  );
  const laneTaken = new Map(lanes.map((lane, i) => [lane, heads[i] !== undefined]));
  const changes: (Change | Repeat | FerryError)[] = [];
  const writes: Promise<void>[] = [];
  items.forEach((it, i) => {
    if (!fresh[i]) {
      const first = changes[seen.get(it.id) as number];
      if (first && !(first instanceof FerryError) && isRepeat(it, first.op))
        changes.push({ type: 'repeat', op: first.op });
      else
        changes.push(new FerryError('duplicate-id', `an operation with id ${JSON.stringify(it.id)} is already stored`));
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
  return {
    ...fields,
    status: 'pending',
    seq,
    attempt: 0,
    failures: 0,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
  };
}
