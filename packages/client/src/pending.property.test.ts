/** The pending overlay against a model of the ops not done, over random op histories (property). */
import type { Claimed, JsonValue, Operation } from '@ferry/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFerryPending } from './pending.ts';
import { harnessWith, LANES } from './status.testSupport.ts';

type Step =
  | { t: 'enqueue'; lane: number; n: number }
  | { t: 'claim'; n: number }
  | { t: 'settle'; pick: number; ok: boolean }
  | { t: 'retry'; pick: number }
  | { t: 'update'; pick: number }
  | { t: 'remove'; pick: number }
  | { t: 'user'; who: number }
  | { t: 'lose' }
  | { t: 'resync' }
  | { t: 'raced'; n: number; late: boolean };

const WHO = [null, 'alice', 'bob'];

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('enqueue' as const),
      lane: fc.nat(LANES.length - 1),
      n: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('claim' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('settle' as const), pick: fc.nat(7), ok: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retry' as const), pick: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('update' as const), pick: fc.nat(15) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), pick: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('user' as const), who: fc.nat(WHO.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('lose' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('resync' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('raced' as const), n: fc.integer({ min: 1, max: 3 }), late: fc.boolean() }),
  },
);

interface ModelOp {
  id: string;
  payload: { k: number };
  user: string | undefined;
  status: 'pending' | 'inflight' | 'failed';
}

const pick = <T>(items: readonly T[], n: number): T | undefined =>
  items.length === 0 ? undefined : items[n % items.length];

/** What the overlay shows of an op, and what the model knows of one. */
const view = (o: { id: string; payload: JsonValue; user?: string | undefined; status: string }) => ({
  id: o.id,
  payload: o.payload,
  user: o.user,
  status: o.status,
});
const byId = <T extends { id: string }>(ops: readonly T[]): T[] => [...ops].sort((a, b) => (a.id < b.id ? -1 : 1));

async function run(steps: readonly Step[]): Promise<void> {
  const h = harnessWith({});
  const { client, driver, who } = h;
  const mine = createFerryPending(client);
  const evens = createFerryPending(client, { user: 'all', where: (op) => (op.payload as { k: number }).k % 2 === 0 });
  const offs = [mine.subscribe(() => {}), evens.subscribe(() => {})];
  const model = new Map<string, ModelOp>();
  let claimed: Claimed[] = [];
  let k = 0;
  let diverged = false;
  const settled = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) await h.delivered();
  };
  const check = (ops: readonly Operation[]): void => {
    const scope = who.user ?? undefined;
    const all = [...model.values()];
    expect(byId(mine().map(view))).toEqual(byId(all.filter((o) => o.user === scope).map(view)));
    expect(byId(evens().map(view))).toEqual(byId(all.filter((o) => o.payload.k % 2 === 0).map(view)));
    // Dead letters carry their reason; the overlay is in enqueue order.
    for (const o of evens()) expect(o.status !== 'failed' || o.lastError !== undefined).toBe(true);
    const order = ops.map((o) => o.id);
    const seqOf = (o: Operation): number => order.indexOf(o.id);
    expect([...evens()].sort((a, b) => seqOf(a) - seqOf(b))).toEqual(evens());
  };
  try {
    await Promise.all([mine.refresh(), evens.refresh()]);
    for (const s of steps) {
      switch (s.t) {
        case 'enqueue':
          for (let i = 0; i < s.n; i++) {
            const payload = { k: k++ };
            const id = await client.enqueue({ kind: 'k', target: '/api/x', payload, lane: LANES[s.lane] as string });
            model.set(id, { id, payload, user: who.user ?? undefined, status: 'pending' });
          }
          break;
        case 'claim':
          for (const c of await driver.delivery.claim({ owner: 'driver', lanes: s.n, leaseMs: 60_000 })) {
            claimed.push(c);
            (model.get(c.id) as ModelOp).status = 'inflight';
          }
          break;
        case 'settle': {
          const c = pick(claimed, s.pick);
          if (!c) break;
          claimed = claimed.filter((x) => x !== c);
          const result = s.ok ? { ok: true as const } : { ok: false as const, retryable: false, status: 400 };
          await driver.delivery.exchange({ settlements: [{ run: [c], results: [result] }] });
          if (s.ok) model.delete(c.id);
          else (model.get(c.id) as ModelOp).status = 'failed';
          break;
        }
        case 'retry': {
          const op = pick(
            [...model.values()].filter((o) => o.status === 'failed'),
            s.pick,
          );
          if (!op) break;
          await client.retry(op.id);
          op.status = 'pending';
          break;
        }
        case 'update': {
          const op = pick([...model.values()], s.pick);
          if (!op) break;
          const payload = { k: k++ };
          // Refused once the op may have reached the server (in flight, or sent before): the model is unchanged.
          if (
            await client.update(op.id, { payload }).then(
              () => true,
              () => false,
            )
          )
            op.payload = payload;
          break;
        }
        case 'remove': {
          const op = pick([...model.values()], s.pick);
          if (!op) break;
          if (
            await client.remove(op.id).then(
              () => true,
              () => false,
            )
          )
            model.delete(op.id);
          break;
        }
        case 'user':
          await who.setUser(WHO[s.who] ?? null);
          break;
        case 'lose':
          h.dropNext();
          break;
        case 'resync':
          await Promise.all([mine.refresh(), evens.refresh()]);
          diverged = false;
          break;
        case 'raced': {
          // Changes committed while a load is on its way (late: before its read, broadcast after its reply).
          h.pause(s.late);
          const racing = (async () => {
            for (const c of await driver.delivery.claim({ owner: 'driver', lanes: s.n, leaseMs: 60_000 })) {
              (model.get(c.id) as ModelOp).status = 'inflight';
              const ok = c.id.endsWith('1') || c.id.endsWith('2');
              const result = ok ? { ok: true as const } : { ok: false as const, retryable: false, status: 400 };
              await driver.delivery.exchange({ settlements: [{ run: [c], results: [result] }] });
              if (ok) model.delete(c.id);
              else (model.get(c.id) as ModelOp).status = 'failed';
            }
          })();
          if (s.late) await racing;
          await Promise.all([racing, mine.refresh(), evens.refresh()]);
          h.pause(false);
          await h.delivered();
          diverged ||= h.takeDropped() > 0;
          break;
        }
      }
      await settled();
      if (h.takeDropped() > 0) diverged = true;
      // Agreement after every step, except while a broadcast is known lost and no resync has run since.
      if (!diverged) check(await client.list({ limit: 10_000 }));
    }
    // The model is what the host holds, and a resync always restores agreement.
    const listed = await client.list({ limit: 10_000 });
    expect(byId(listed.filter((o) => o.status !== 'done').map(view))).toEqual(byId([...model.values()].map(view)));
    await Promise.all([mine.refresh(), evens.refresh()]);
    await settled();
    check(listed);
  } finally {
    for (const off of offs) off();
    await h.close();
  }
}

describe('pending overlay', () => {
  it('equals the ops not done of a model after every step of a random history (property)', async () => {
    const runs = Number(
      (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['FERRY_PROPERTY_RUNS'] ??
        100,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), (steps) => run(steps)),
      { numRuns: runs },
    );
  }, 120_000);
});
