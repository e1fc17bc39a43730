import type { Clock, Timers } from '../Platform.ts';

interface Pending {
  at: number;
  fn: () => void;
}

/**
 * A clock and timers that move only when told to. Inject both instead of
 * global fake timers, which would also stall fake-indexeddb.
 */
export class VirtualClock implements Clock, Timers {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, Pending>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers currently waiting. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = until;
  }

  set(time: number): void {
    this.advance(Math.max(0, time - this.#now));
  }
}
