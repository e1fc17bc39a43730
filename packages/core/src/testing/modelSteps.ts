/** The delivery model's random steps, and the store a crash kills: see deliveryModel.ts. */
import fc from 'fast-check';
import type { OutboxStore, OutboxTx, TxMode } from '../OutboxStore.ts';
import type { Answer } from './modelServer.ts';

/** The lanes the model's ops go to; document `i` lives in lane `LANES[i]`. */
export const LANES = ['a', 'b', 'c'];

export type Step =
  | { t: 'enqueue'; lane: number }
  | { t: 'save'; doc: number }
  | { t: 'edit'; doc: number }
  | { t: 'remove'; doc: number }
  | { t: 'repeat'; pick: number }
  | { t: 'answer'; pick: number; how: Answer }
  | { t: 'advance'; ms: number }
  | { t: 'net'; online: boolean }
  | { t: 'crash'; sameName: boolean; reachedServer: boolean }
  | { t: 'retry'; pick: number; all: boolean }
  | { t: 'removeFailed'; pick: number }
  | { t: 'corrupt'; pick: number };

const doc = fc.nat(LANES.length - 1);
export const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('enqueue' as const), lane: fc.nat(LANES.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('save' as const), doc }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('edit' as const), doc }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('remove' as const), doc }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('repeat' as const), pick: fc.nat(7) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('answer' as const),
      pick: fc.nat(7),
      how: fc.constantFrom<Answer>('ok', 'ok', '503', '429', '409', '400', 'none', 'throw', 'appliedThenDropped'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('advance' as const),
      ms: fc.constantFrom(1, 500, 5_000, 30_000, 61_000, 3_600_000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('net' as const), online: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('crash' as const), sameName: fc.boolean(), reachedServer: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('retry' as const), pick: fc.nat(7), all: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('removeFailed' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('corrupt' as const), pick: fc.nat(7) }) },
);

/** A store that refuses every transaction once its runner is dead: a dead process writes nothing. */
export function mortal(store: OutboxStore): { store: OutboxStore; kill: () => void } {
  let dead = false;
  return {
    store: {
      transaction<T>(mode: TxMode, fn: (tx: OutboxTx) => Promise<T>): Promise<T> {
        return dead ? Promise.reject(new Error('runner is dead')) : store.transaction(mode, fn);
      },
      close: () => store.close(),
    },
    kill: () => (dead = true),
  };
}
