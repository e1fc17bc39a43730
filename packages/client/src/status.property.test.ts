/** The status snapshot against `list()` over random sequences of changes, lost broadcasts and loads (property). */
import type { Claimed, SendResult } from '@ferry/core';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkAgainst, harness, LANES, USERS } from './status.testSupport.ts';

type Step =
  | { t: 'enqueue'; lane: number; user: number; n: number }
  | { t: 'claim'; n: number }
  | { t: 'outcome'; pick: number; how: 'ok' | 'retry' | 'fail' | 'hold' }
  | { t: 'remove'; pick: number }
  | { t: 'update'; pick: number }
  | { t: 'coalesce'; lane: number; key: number }
  | { t: 'retry'; pick: number }
  | { t: 'release' }
  | { t: 'expire' }
  | { t: 'advance'; ms: number }
  | { t: 'lose' }
  | { t: 'resync' }
  | { t: 'raced'; n: number; late: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('enqueue' as const),
      lane: fc.nat(LANES.length - 1),
      user: fc.nat(USERS.length - 1),
      n: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('claim' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('outcome' as const),
      pick: fc.nat(7),
      how: fc.constantFrom(
        'ok' as const,
        'ok' as const,
        'retry' as const,
        'fail' as const,
        'hold' as const,
        'hold' as const,
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), pick: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('update' as const), pick: fc.nat(15) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('coalesce' as const), lane: fc.nat(LANES.length - 1), key: fc.nat(1) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('retry' as const), pick: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.constantFrom(1, 1_000, 60_000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('lose' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('resync' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('raced' as const), n: fc.integer({ min: 1, max: 3 }), late: fc.boolean() }),
  },
);

const pick = <T>(items: readonly T[], n: number): T | undefined =>
  items.length === 0 ? undefined : items[n % items.length];

async function run(h: ReturnType<typeof harness>, steps: readonly Step[]): Promise<void> {
  const { client, status, driver, clock } = h;
  let claimed: Claimed[] = [];
  const off = status.subscribe(() => {});
  await status.refresh();
  let diverged = false;
  const ignore = (): void => {};
  let k = 0;
  for (const s of steps) {
    switch (s.t) {
      case 'enqueue':
        await Promise.all(
          Array.from({ length: s.n }, () => {
            const user = USERS[s.user];
            return client.enqueue({
              kind: 'k',
              target: '/api/x',
              payload: { k: k++ },
              lane: LANES[s.lane] as string,
              ...(user !== undefined && { user }),
            });
          }),
        );
        break;
      case 'claim':
        claimed.push(...(await driver.delivery.claim({ owner: 'driver', lanes: s.n, leaseMs: 60_000 })));
        break;
      case 'outcome': {
        const c = pick(claimed, s.pick);
        if (!c) break;
        claimed = claimed.filter((x) => x !== c);
        // An outcome whose claim was superseded comes back as its error and changes nothing.
        const settle = (result: SendResult) =>
          driver.delivery.exchange({ settlements: [{ run: [c], results: [result] }] });
        if (s.how === 'ok') await settle({ ok: true });
        else if (s.how === 'retry') await settle({ ok: false, retryable: true, status: 503 });
        else if (s.how === 'fail') await settle({ ok: false, retryable: false, status: 400 });
        else await settle({ ok: false, retryable: true, status: 401, hold: 'credentials', free: true });
        break;
      }
      case 'remove': {
        const op = pick(await client.list({ limit: 10_000 }), s.pick);
        if (op) await client.remove(op.id).catch(ignore);
        break;
      }
      case 'update': {
        const op = pick(await client.list({ limit: 10_000 }), s.pick);
        if (op) await client.update(op.id, { payload: { edited: k++ } }).catch(ignore);
        break;
      }
      case 'coalesce':
        await client.enqueue({
          kind: 'k',
          target: '/api/x',
          payload: { k: k++ },
          lane: LANES[s.lane] as string,
          coalesce: { key: `doc:${s.key}` },
        });
        break;
      case 'retry': {
        const op = pick(await client.list({ status: 'failed' }), s.pick);
        if (op) await client.retry(op.id).catch(ignore);
        break;
      }
      case 'release':
        await driver.delivery.release(() => true);
        break;
      case 'expire':
        clock.advance(61_000);
        await driver.delivery.requeueExpired();
        claimed = [];
        break;
      case 'advance':
        clock.advance(s.ms);
        break;
      case 'lose':
        h.dropNext();
        break;
      case 'resync':
        await status.refresh();
        diverged = false;
        break;
      case 'raced': {
        // Changes committed while a load is on its way (late: before its read, broadcast after its reply).
        h.pause(s.late);
        const racing = (async () => {
          const got = await driver.delivery.claim({ owner: 'driver', lanes: s.n, leaseMs: 60_000 });
          for (const c of got) await driver.delivery.exchange({ settlements: [{ run: [c], results: [{ ok: true }] }] });
        })();
        if (s.late) await racing;
        await Promise.all([racing, status.refresh()]);
        h.pause(false);
        await h.delivered();
        diverged ||= h.takeDropped() > 0;
        break;
      }
    }
    await h.delivered();
    if (h.takeDropped() > 0) diverged = true;
    // Agreement after every step, except while a broadcast is known lost and no resync has run since.
    if (!diverged) checkAgainst(status(), await client.list({ limit: 10_000 }));
  }
  // A resync always restores agreement.
  await status.refresh();
  await h.delivered();
  checkAgainst(status(), await client.list({ limit: 10_000 }));
  off();
}

describe('status snapshot', () => {
  it('agrees with list() after every step of a random sequence (property)', async () => {
    const runs = Number(
      (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['FERRY_PROPERTY_RUNS'] ??
        100,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        const h = harness();
        try {
          await run(h, steps);
        } finally {
          await h.close();
        }
      }),
      { numRuns: runs },
    );
  }, 120_000);
});
