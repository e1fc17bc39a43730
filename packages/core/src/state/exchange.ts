/**
 * A runner's round trip, in one transaction: marks the sends that started,
 * records the outcomes of those that settled, then claims what to send next.
 */
import { FerryError } from '../FerryError.ts';
import type { Operation } from '../Operation.ts';
import type { OutboxTx } from '../OutboxStore.ts';
import type { RetryPolicy } from '../RetryPolicy.ts';
import type { SendResult } from '../Transport.ts';
import { settleBatch } from './batch.ts';
import type { ClaimRequest, ClaimResult } from './claim.ts';
import { claim } from './claim.ts';
import type { Change, Transition } from './lane.ts';
import type { Claimed, FailureFacts } from './settle.ts';
import { complete, markOnWire, recordFailure } from './settle.ts';

/** What the runner knew when a send failed: offline, or stopped (either spends no attempt). */
export type SendFacts = Omit<FailureFacts, 'result'>;

/** The outcome of one send, single or batch, as `Delivery.exchange` records it. */
export interface Settlement {
  /** The ops as claimed, in the order sent. */
  run: readonly Claimed[];
  /** `results[i]` answers `run[i]`; missing ones were not attempted. */
  results: readonly (SendResult | undefined)[];
  facts?: SendFacts;
}

/** What one `Delivery.exchange` does, in this order, in one transaction. */
export interface Exchange {
  /** Claims whose send started; one that no longer holds its op is skipped. @default [] */
  onWire?: readonly Claimed[];
  /** Outcomes to record, one after the other. @default [] */
  settlements?: readonly Settlement[];
  /** What to claim after recording, if anything. @default nothing */
  next?: ClaimRequest | undefined;
}

export interface ExchangeResult {
  /** Per settlement: the ops after the change, or why nothing changed (`lease-superseded`...). */
  settled: (Operation[] | FerryError)[];
  claimed: Operation[];
  /** True when the claim set heads aside (expired, held, deferred) and stopped reading before it filled: ask again. */
  more: boolean;
}

/** A single send settles as complete or fail, a batch through settleBatch: the same rules either way. */
function settleOne(tx: OutboxTx, s: Settlement, policy: RetryPolicy, now: number): Promise<Change[]> {
  const only = s.run.length === 1 ? s.run[0] : undefined;
  const first = s.results[0];
  if (!only || !first) return settleBatch(tx, { run: s.run, results: s.results, facts: s.facts ?? {}, policy, now });
  if (first.ok) return complete(tx, only, now, first.answer).then((c) => [c]);
  return recordFailure(tx, { claim: only, facts: { ...s.facts, result: first }, policy, now }).then((c) => [c]);
}

function asFerryError(err: unknown): FerryError {
  if (err instanceof FerryError) return err;
  throw err;
}

/**
 * Marks `onWire` (claims whose send started), records `settlements`
 * together (each for its own lane), then claims `next`. A settlement whose claim was superseded is its error, and
 * the others go on.
 */
export async function exchange(
  tx: OutboxTx,
  { onWire = [], settlements = [], next, policy, now }: Exchange & Transition,
): Promise<{ settled: (Change[] | FerryError)[]; claimed: ClaimResult | undefined }> {
  if (onWire.length > 0) await markOnWire(tx, onWire, now);
  // Each settlement is its own lane's (a lane has one run in flight): they go out together, not one after the other.
  const settled = await Promise.all(settlements.map((s) => settleOne(tx, s, policy, now).catch(asFerryError)));
  const claimed = next ? await claim(tx, { request: next, policy, now }) : undefined;
  return { settled, claimed };
}
