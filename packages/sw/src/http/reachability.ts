import type { Clock, Timers } from '@ferry/core';
import { deadline } from './deadline.ts';
import type { FetchLike, ReachabilityOptions } from './options.ts';

/** What a check needs of its transport. */
export interface ReachabilityDeps {
  /** Read at each check. */
  fetch: () => FetchLike;
  clock: Clock;
  timers: Timers;
  /** Tells a gateway's status from the app's. */
  isGateway: (status: number) => boolean;
}

/** What a check learnt: the app behind the origin answered (at `at`), or it did not. */
export type CheckOutcome = { reached: true; at: number } | { reached: false };

/**
 * Asks whether an origin is reachable by other means than the send that got
 * no answer: a cheap request (by default `HEAD /` with `mode: 'no-cors'`,
 * `redirect: 'manual'`, no credentials), under its own short timeout. An app
 * answer or an opaque one means reachable; nothing, or a gateway's status
 * (`isGateway`), means not. Checks of one origin share one request while it
 * runs, and an unreachable outcome is kept `cacheMs`, so an outage costs few
 * extra requests. A reachable outcome is the caller's to record (as an answer
 * of the origin, see OriginHealth): it then covers every send that started
 * before it.
 */
export class Reachability {
  readonly #o: Required<Omit<ReachabilityOptions, 'url'>> & Pick<ReachabilityOptions, 'url'>;
  readonly #running = new Map<string, Promise<CheckOutcome>>();
  readonly #unreachableAt = new Map<string, number>();

  readonly #fetch: () => FetchLike;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #isGateway: (status: number) => boolean;

  constructor(options: ReachabilityOptions, deps: ReachabilityDeps) {
    this.#fetch = deps.fetch;
    this.#clock = deps.clock;
    this.#timers = deps.timers;
    this.#isGateway = deps.isGateway;
    this.#o = {
      timeoutMs: options.timeoutMs ?? 3000,
      cacheMs: options.cacheMs ?? 60_000,
      ...(options.url !== undefined && { url: options.url }),
    };
  }

  /** Whether the app configured where to ask (then a gateway's answer to a send is checked too). */
  get configured(): boolean {
    return this.#o.url !== undefined;
  }

  /** Checks `origin` (or shares the check running now); `signal` ends the wait early (unreached). */
  check(origin: string, signal: AbortSignal): Promise<CheckOutcome> {
    const cached = this.#unreachableAt.get(origin);
    const now = this.#clock.now();
    const fresh = cached !== undefined && now - cached < this.#o.cacheMs && cached <= now;
    if (fresh) return Promise.resolve({ reached: false });
    let running = this.#running.get(origin);
    if (!running) {
      running = this.#ask(origin).finally(() => this.#running.delete(origin));
      this.#running.set(origin, running);
    }
    if (signal.aborted) return Promise.resolve({ reached: false });
    return new Promise((resolve) => {
      const onAbort = (): void => resolve({ reached: false });
      signal.addEventListener('abort', onAbort, { once: true });
      void running.then((outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
    });
  }

  async #ask(origin: string): Promise<CheckOutcome> {
    const url = this.#url(origin);
    const d = deadline(new AbortController().signal, this.#o.timeoutMs, this.#timers, this.#clock);
    try {
      const res = await this.#fetch()(url, {
        method: 'HEAD',
        mode: 'no-cors',
        redirect: 'manual',
        credentials: 'omit',
        cache: 'no-store',
        signal: d.signal,
      });
      if (res.body && !res.bodyUsed) res.body.cancel().catch(() => {});
      // An opaque answer hides its status, but something answered: the origin is reachable.
      const opaque = res.type === 'opaque' || res.type === 'opaqueredirect';
      if (opaque || !this.#isGateway(res.status)) return { reached: true, at: this.#clock.now() };
    } catch {
      // No answer: unreachable.
    } finally {
      d.dispose();
    }
    this.#unreachableAt.set(origin, this.#clock.now());
    return { reached: false };
  }

  #url(origin: string): string {
    const u = this.#o.url;
    if (typeof u === 'function') return u(origin);
    return new URL(u ?? '/', `${origin}/`).href;
  }
}
