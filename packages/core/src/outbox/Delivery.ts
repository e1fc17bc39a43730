import type { Operation } from '../Operation.ts';
import type { OutboxStore, OutboxTx } from '../OutboxStore.ts';
import type { Clock } from '../Platform.ts';
import type { RetryPolicy } from '../RetryPolicy.ts';
import { HELD_DUE } from '../lib/lanes.ts';
import { claim } from '../state/claim.ts';
import type { ClaimRequest } from '../state/claim.ts';
import type { Exchange, ExchangeResult } from '../state/exchange.ts';
import { exchange } from '../state/exchange.ts';
import { release } from '../state/hold.ts';
import type { Change } from '../state/lane.ts';
import { requeueLeased } from '../state/settle.ts';

/** Most orphaned leases one transaction of {@link Delivery.requeueOrphans} returns to their lanes. */
const ORPHAN_PAGE = 500;

/** What a {@link Delivery} shares with the Outbox that made it. */
export interface DeliveryParts {
  store: OutboxStore;
  policy: RetryPolicy;
  clock: Clock;
  /** Tells the Outbox's subscribers about committed changes. */
  emit: (changes: readonly Change[]) => void;
}

/**
 * The runner's verbs over an Outbox: claim ops, record what became of their
 * sends, give back the leases of runners that are gone, release held heads,
 * and say when work is next due. Every outcome is recorded by
 * {@link exchange}; every time comes from the Outbox's clock.
 */
export class Delivery {
  readonly #o: DeliveryParts;

  constructor(parts: DeliveryParts) {
    this.#o = parts;
  }

  /**
   * A runner's round trip in one transaction: marks the sends that started
   * (`onWire`: the ops as claimed; a runner that dies now leaves their outcome
   * unknown, and their requeue spends an attempt), records the outcomes of
   * the sends that settled (`settlements`), then claims what to send next
   * (`next`). A claim is a send: each claimed op is marked
   * `possiblyDelivered` for good and carries its `leaseToken`, which its
   * settlement must present. Concurrent send slots share it, so claiming
   * right before each send costs no transaction of its own. An outcome whose
   * claim was superseded changes nothing: it is returned as its error
   * (`lease-superseded`...), and the others go on.
   */
  async exchange(request: Exchange): Promise<ExchangeResult> {
    const now = this.#o.clock.now();
    const { settled, claimed } = await this.#o.store.transaction('readwrite', (tx) =>
      exchange(tx, { ...request, policy: this.#o.policy, now }),
    );
    // A mark is not news to subscribers: the op stays in flight.
    for (const s of settled) if (Array.isArray(s)) this.#o.emit(s);
    this.#o.emit(claimed?.changes ?? []);
    return {
      settled: settled.map((s) => (Array.isArray(s) ? s.map((c) => c.op) : s)),
      claimed: (claimed?.changes ?? []).filter((c) => c.type === 'claim').map((c) => c.op),
      more: claimed?.more ?? false,
    };
  }

  /**
   * Claims up to `lanes` ready lane heads for `owner`, oldest due first, each
   * with up to `perLane - 1` due ops right behind it in its lane (a batch):
   * an {@link exchange} that records nothing. Expired leases go back first,
   * in the same transaction, except those in `live`.
   */
  async claim(request: ClaimRequest): Promise<Operation[]> {
    return (await this.exchange({ next: request })).claimed;
  }

  /** Returns expired leases to `pending`, except those in `live` (the caller's own sends). */
  requeueExpired(live?: ReadonlySet<number>): Promise<Operation[]> {
    const now = this.#o.clock.now();
    const request: ClaimRequest = { owner: '', lanes: 0, leaseMs: 0, ...(live && { live }) };
    const changes = this.#change(async (tx) => (await claim(tx, { request, policy: this.#o.policy, now })).changes);
    return changes.then((cs) => cs.map((c) => c.op));
  }

  /**
   * Returns every in-flight op to `pending` except the leases in `live` (the
   * caller's own sends). Only call it while holding the runner lock: then any
   * other lease belongs to a runner that is gone. Reads a page at a time, with
   * no cap: whatever a dead runner had in flight comes back. An op whose send
   * was marked on the wire (see {@link exchange}) spends an attempt; a claim
   * never sent spends nothing.
   */
  async requeueOrphans(live: ReadonlySet<number> = new Set()): Promise<Operation[]> {
    const out: Operation[] = [];
    for (;;) {
      const now = this.#o.clock.now();
      const page = await this.#change(async (tx) => {
        const orphans = (await tx.inflight(ORPHAN_PAGE + live.size)).filter(
          (r) => !(r.leaseToken !== undefined && live.has(r.leaseToken)),
        );
        return orphans.length > 0 ? requeueLeased(tx, orphans.slice(0, ORPHAN_PAGE), this.#o.policy, now) : [];
      });
      out.push(...page.map((c) => c.op));
      if (page.length < ORPHAN_PAGE) return out;
    }
  }

  /**
   * Releases the held lane heads `match` picks (their user's credentials
   * came): each is due again at its own `nextAttemptAt`. Wake the runner after.
   */
  async release(match: (op: Operation) => boolean): Promise<Operation[]> {
    const now = this.#o.clock.now();
    return (await this.#change((tx) => release(tx, match, now))).map((c) => c.op);
  }

  /**
   * The earliest time work becomes due: a pending head's `nextAttemptAt` or a
   * lease end. Held heads wait for a release, not a time.
   */
  nextWakeAt(): Promise<number | undefined> {
    return this.#o.store.transaction('readonly', async (tx) => {
      const [first, lease] = await Promise.all([tx.nextDueAt(), tx.nextLeaseEnd()]);
      const due = first !== undefined && first < HELD_DUE ? first : undefined;
      if (due === undefined) return lease;
      return lease === undefined ? due : Math.min(due, lease);
    });
  }

  async #change(fn: (tx: OutboxTx) => Promise<Change[]>): Promise<Change[]> {
    const changes = await this.#o.store.transaction('readwrite', fn);
    this.#o.emit(changes);
    return changes;
  }
}
