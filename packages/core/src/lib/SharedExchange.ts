import { FerryError } from '../FerryError.ts';
import type { Operation } from '../Operation.ts';
import type { Delivery } from '../outbox/Delivery.ts';
import type { Timers } from '../Platform.ts';
import type { ClaimRequest } from '../state/claim.ts';
import type { Settlement } from '../state/exchange.ts';
import { laneId } from './lanes.ts';

export interface SharedExchangeOptions {
  delivery: Delivery;
  timers: Timers;
  /** The runner's lease tokens on the wire: claims add to it, settlements remove from it. */
  live: Set<number>;
  onError: (err: unknown) => void;
  /** Whether the runner stopped: a claim that needs reading again is then not made. */
  stopped: () => boolean;
  /** The claim to make for `lanes` lanes. */
  claim: (lanes: number) => ClaimRequest;
}

/**
 * How long a send is on the wire before it is marked so. Most sends settle
 * sooner and need no mark (their outcome is recorded instead); marking every
 * send with the next shared transaction cost about a tenth of the drain's
 * throughput (a row and a WAL record more per op).
 */
const WIRE_MARK_MS = 1000;

/** A caller of the next shared transaction: what it records, and whether it wants a lane claimed. */
interface Queued {
  settlement: Settlement | undefined;
  claim: boolean;
  /** The mark timer's own request: this transaction writes the marks still waiting. */
  marks: boolean;
  resolve: (run: Operation[] | undefined) => void;
}

/**
 * The transactions a runner's send slots share (see `Outbox.exchange`): the
 * slots that settle or want a lane in the same microtask record and claim in
 * one transaction, which also marks the sends that started on the wire.
 */
export class SharedExchange {
  readonly #o: SharedExchangeOptions;
  /** Settlements and claims waiting for the next shared transaction. */
  #queued: Queued[] = [];
  #flushing = false;
  /** Claims whose send started, to be marked on the wire by the next transaction. */
  #marks: Operation[] = [];
  #markTimer: unknown;

  constructor(options: SharedExchangeOptions) {
    this.#o = options;
  }

  /**
   * Queues a settlement and/or a claim for the next shared transaction (with
   * `forMarks`, a transaction for the marks waiting, if nothing else takes
   * them); resolves with the lane run claimed for this caller, if any.
   */
  request(settlement: Settlement | undefined, claim: boolean, forMarks = false): Promise<Operation[] | undefined> {
    if (!settlement && !claim && !forMarks) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#queued.push({ settlement, claim, marks: forMarks, resolve });
      if (!this.#flushing) {
        this.#flushing = true;
        // One microtask lets the slots that settle together share the transaction.
        queueMicrotask(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queued.length > 0) {
      const batch = this.#queued.splice(0);
      const settlements = batch.flatMap((b) => (b.settlement ? [b.settlement] : []));
      // A send that settles needs no mark: its outcome is recorded instead.
      const settling = new Set(settlements.flatMap((s) => s.run.map((op) => op.leaseToken)));
      this.#marks = this.#marks.filter((op) => !settling.has(op.leaseToken));
      const wire = batch.some((b) => b.marks) ? this.#marks.splice(0) : [];
      if (this.#marks.length === 0 && this.#markTimer !== undefined) {
        this.#o.timers.clearTimeout(this.#markTimer);
        this.#markTimer = undefined;
      }
      const wanted = batch.filter((b) => b.claim).length;
      let runs: Operation[][] = [];
      let more = false;
      if (settlements.length === 0 && wanted === 0 && wire.length === 0) {
        for (const b of batch) b.resolve(undefined);
        continue;
      }
      try {
        const result = await this.#o.delivery.exchange({
          onWire: wire,
          settlements,
          next: wanted > 0 ? this.#o.claim(wanted) : undefined,
        });
        // An answer for a superseded claim changed nothing: reported, not fatal.
        for (const s of result.settled) if (s instanceof FerryError) this.#o.onError(s);
        runs = byLane(result.claimed);
        more = result.more;
        for (const op of result.claimed) if (op.leaseToken !== undefined) this.#o.live.add(op.leaseToken);
      } catch (err) {
        // Nothing was recorded: those leases end on their own and are requeued then, by whoever runs.
        this.#o.onError(err);
      }
      for (const s of settlements)
        for (const op of s.run) if (op.leaseToken !== undefined) this.#o.live.delete(op.leaseToken);
      for (const b of batch) {
        if (!b.claim) b.resolve(undefined);
        else if (runs.length > 0) b.resolve(runs.shift());
        // The claim set heads aside and stopped reading before it knew whether more is due: ask again.
        else if (more && !this.#o.stopped())
          this.#queued.push({ settlement: undefined, claim: true, marks: false, resolve: b.resolve });
        else b.resolve(undefined);
      }
    }
    this.#flushing = false;
  }

  /**
   * Marks `run` on the wire (see Outbox.exchange) within {@link WIRE_MARK_MS}
   * of its start, in one transaction with every other send waiting for its
   * mark, so that a runner dying from then on leaves an outcome that counts.
   * A send that settles first needs no mark; a runner dying before the mark
   * is charged nothing for it.
   */
  markOnWire(run: readonly Operation[]): void {
    this.#marks.push(...run);
    this.#markTimer ??= this.#o.timers.setTimeout(() => {
      this.#markTimer = undefined;
      void this.request(undefined, false, true);
    }, WIRE_MARK_MS);
  }
}

/** Groups claimed ops into runs, one per lane, keeping their order (a claim lists a lane's ops together). */
function byLane(ops: readonly Operation[]): Operation[][] {
  const runs = new Map<string, Operation[]>();
  for (const op of ops) {
    const run = runs.get(laneId(op));
    if (run) run.push(op);
    else runs.set(laneId(op), [op]);
  }
  return [...runs.values()];
}
