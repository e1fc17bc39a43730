import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/VirtualClock.ts';
import type { DrainLoopOptions } from './DrainLoop.ts';
import { DrainLoop } from './DrainLoop.ts';

/** Lets promise chains (the loop's drain and its look for the next due op) settle. */
const settle = () => new Promise((r) => setTimeout(r, 0));

/** A loop over a scripted queue: `due` holds the due times of stored ops; a drain takes those due now. */
function setup(options: Partial<DrainLoopOptions> = {}) {
  const clock = new VirtualClock();
  const state = { online: true, due: [] as number[], drains: 0, errors: [] as unknown[] };
  const loop = new DrainLoop({
    drain: () => {
      state.drains++;
      const ready = state.due.filter((at) => at <= clock.now());
      state.due = state.due.filter((at) => at > clock.now());
      return Promise.resolve(ready.length);
    },
    nextWakeAt: () => Promise.resolve(state.due.length ? Math.min(...state.due) : undefined),
    isOnline: () => state.online,
    clock,
    timers: clock,
    onError: (err) => state.errors.push(err),
    ...options,
  });
  return { clock, loop, state };
}

describe('DrainLoop', () => {
  it('drains, sleeps until the next op is due, drains then; with nothing stored it leaves no timer', async () => {
    const { clock, loop, state } = setup();
    state.due = [clock.now(), clock.now() + 5000];
    await loop.wake();
    // One drain sent the due op, so it looked once more at once.
    expect(state.drains).toBe(2);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(4999);
    await settle();
    expect(state.drains).toBe(2);
    clock.advance(1);
    await settle();
    expect(state.drains).toBe(4);
    expect(state.due).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    await loop.close();
  });

  it('a wake during a drain joins it and makes it drain once more', async () => {
    let release!: () => void;
    let drains = 0;
    const { loop } = setup({
      drain: async () => {
        drains++;
        if (drains === 1) await new Promise<void>((r) => (release = r));
        return 0;
      },
    });
    const first = loop.wake();
    await settle();
    const second = loop.wake();
    expect(second).toBe(first);
    release();
    await first;
    expect(drains).toBe(2);
    await loop.close();
  });

  it('a wake while it looks for the next due op is a drain too', async () => {
    let release!: () => void;
    let looks = 0;
    const { loop, state } = setup({
      nextWakeAt: async () => {
        looks++;
        if (looks === 1) await new Promise<void>((r) => (release = r));
        return undefined;
      },
    });
    const first = loop.wake();
    await settle();
    expect(state.drains).toBe(1);
    void loop.wake();
    release();
    await first;
    expect(state.drains).toBe(2);
    await loop.close();
  });

  it('offline: drains nothing and looks again every offlineRecheckMs, even when work is due sooner', async () => {
    const { clock, loop, state } = setup({ offlineRecheckMs: 10_000 });
    state.online = false;
    state.due = [clock.now() + 100];
    await loop.wake();
    expect(state.drains).toBe(0);
    state.online = true;
    clock.advance(9_999);
    await settle();
    expect(state.drains).toBe(0);
    clock.advance(1);
    await settle();
    expect(state.drains).toBeGreaterThan(0);
    expect(state.due).toEqual([]);
    await loop.close();
  });

  it('offline: a wake with a look already set within offlineRecheckMs reads nothing; one set later is brought forward', async () => {
    let looks = 0;
    const { clock, loop, state } = setup({
      offlineRecheckMs: 10_000,
      nextWakeAt: () => (looks++, Promise.resolve(state.due.length ? Math.min(...state.due) : undefined)),
    });
    state.online = false;
    state.due = [clock.now()];
    await loop.wake();
    expect(looks).toBe(1);
    clock.advance(4_000);
    await loop.wake();
    await loop.wake();
    expect(looks).toBe(1);
    expect(clock.pendingTimers).toBe(1);
    // The look still comes at its time: 10 s after the first wake.
    state.online = true;
    clock.advance(5_999);
    await settle();
    expect(state.drains).toBe(0);
    clock.advance(1);
    await settle();
    expect(state.drains).toBeGreaterThan(0);
    // A look set further out than offlineRecheckMs (the next op due in a minute) is read again on a wake.
    state.due = [clock.now() + 60_000];
    await loop.wake();
    state.online = false;
    const before = looks;
    await loop.wake();
    expect(looks).toBe(before + 1);
    await loop.close();
  });

  it('a due op a drain could not send is looked at again no sooner than minDelayMs', async () => {
    const { clock, loop, state } = setup({ drain: () => (state.drains++, Promise.resolve(0)), minDelayMs: 50 });
    state.due = [clock.now()];
    await loop.wake();
    expect(state.drains).toBe(1);
    clock.advance(49);
    await settle();
    expect(state.drains).toBe(1);
    clock.advance(1);
    await settle();
    expect(state.drains).toBe(2);
    await loop.close();
  });

  it('an error of a drain or of the look is reported, and the loop tries again after errorBackoffMs', async () => {
    let failDrain = true;
    let failLook = true;
    const { clock, loop, state } = setup({
      errorBackoffMs: 1000,
      drain: () => {
        state.drains++;
        return failDrain ? Promise.reject(new Error('drain broke')) : Promise.resolve(0);
      },
      nextWakeAt: () => (failLook ? Promise.reject(new Error('look broke')) : Promise.resolve(undefined)),
    });
    await loop.wake();
    expect(state.errors.map((e) => (e as Error).message)).toEqual(['drain broke']);
    failDrain = false;
    clock.advance(1000);
    await settle();
    expect(state.drains).toBe(2);
    expect(state.errors.map((e) => (e as Error).message)).toEqual(['drain broke', 'look broke']);
    failLook = false;
    clock.advance(1000);
    await settle();
    expect(state.drains).toBe(3);
    expect(clock.pendingTimers).toBe(0);
    await loop.close();
  });

  it('after close nothing drains, no timer is left, and a failing drain in progress is not reported', async () => {
    let release!: (n: number) => void;
    const { clock, loop, state } = setup({
      drain: () => (
        state.drains++,
        new Promise<number>((_resolve, reject) => (release = () => reject(new Error('x'))))
      ),
    });
    state.due = [clock.now() + 1000];
    const first = loop.wake();
    await settle();
    const closed = loop.close();
    release(0);
    await closed;
    await first;
    expect(loop.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await loop.wake();
    clock.advance(5000);
    await settle();
    expect(state.drains).toBe(1);
    expect(state.errors).toEqual([]);
  });
});
