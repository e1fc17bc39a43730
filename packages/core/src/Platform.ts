/**
 * The platform comes in through these small providers. Defaults wrap the
 * globals in arrow functions, read only when called, so importing Ferry has
 * no side effects and tests can pass a virtual clock instead of global fake
 * timers (which stall fake-indexeddb).
 */
export interface Clock {
  /** Wall-clock milliseconds. */
  now(): number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A number in [0, 1). */
export type Random = () => number;

export const systemClock: Clock = { now: () => Date.now() };

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const systemRandom: Random = () => Math.random();
