import { FerryError } from '../FerryError.ts';
import type { Operation, OperationInput, ServerAnswer } from '../Operation.ts';
import type { SendFailure, SendResult } from '../Transport.ts';
import type { Outbox } from '../outbox/Outbox.ts';
import type { OutboxStore } from '../OutboxStore.ts';
import type { SendFacts } from '../state/exchange.ts';
import type { Claimed } from '../state/settle.ts';
import type { StoreHarness } from './storeConformance.ts';
import type { VirtualClock } from './VirtualClock.ts';

/** What the conformance suites enqueue: a chat message, in `lane` when given. */
export const msg = (text: string, lane?: string): OperationInput => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text },
  ...(lane === undefined ? {} : { lane }),
});

/** The code a call rejects with (`resolved` when it does not), for suites that assert on codes. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof FerryError ? err.code : `not a FerryError: ${String(err)}`;
  }
  return 'resolved';
}

/** Claims for owner `w`-style tests: `lanes` lanes for `leaseMs`, `perLane` ops each, through `Delivery.claim`. */
export function claim(
  outbox: Outbox,
  owner: string,
  lanes: number,
  leaseMs: number,
  perLane = 1,
): Promise<Operation[]> {
  return outbox.delivery.claim({ owner, lanes, leaseMs, perLane });
}

/**
 * Records one send's outcome through `Delivery.exchange`, as a runner does:
 * `results[i]` answers `run[i]`. Rejects with the settlement's error when it
 * changed nothing (`lease-superseded`, `invalid-state`...).
 */
export async function settle(
  outbox: Outbox,
  run: readonly Claimed[],
  results: readonly (SendResult | undefined)[],
  facts?: SendFacts,
): Promise<Operation[]> {
  const { settled } = await outbox.delivery.exchange({ settlements: [{ run, results, ...(facts && { facts }) }] });
  const [ops] = settled;
  if (ops instanceof FerryError) throw ops;
  return ops ?? [];
}

/** Records that the send of `claimed` succeeded (see {@link settle}). */
export async function complete(outbox: Outbox, claimed: Claimed, answer?: ServerAnswer): Promise<Operation> {
  return (await settle(outbox, [claimed], [{ ok: true, ...(answer && { answer }) }]))[0] as Operation;
}

/** Records that the send of `claimed` failed with `result` (see {@link settle}). */
export async function fail(
  outbox: Outbox,
  claimed: Claimed,
  result: SendFailure,
  facts?: SendFacts,
): Promise<Operation> {
  return (await settle(outbox, [claimed], [result], facts))[0] as Operation;
}

/** Opens a fresh store of the suite's harness under an Outbox on a virtual clock (`retry` over jitter off). */
export type ConformanceSetup = (retry?: object) => Promise<{
  harness: StoreHarness;
  clock: VirtualClock;
  store: OutboxStore;
  outbox: Outbox;
}>;
