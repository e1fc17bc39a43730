/**
 * What the transport has seen of each origin lately: when the app behind it
 * last answered (any status but a gateway's), and until when it asked to be
 * left alone. A gateway's answer (502, 503, 504 from a proxy whose upstream
 * is down) is not the app's: it says nothing about whether the app is up.
 * Kept in the worker's memory: a restarted worker starts trusting again, and
 * each op's own `nextAttemptAt` still carries the `Retry-After` it got.
 */
export class OriginHealth {
  readonly #answeredAt = new Map<string, number>();
  readonly #pauseEnds = new Map<string, number>();

  /** The app behind `origin` answered (any status a gateway does not make) at `at`. */
  answered(origin: string, at: number): void {
    this.#answeredAt.set(origin, Math.max(at, this.#answeredAt.get(origin) ?? -Infinity));
  }

  /** Whether the app behind `origin` answered anything at or after `since`: then it was reachable meanwhile. */
  answeredSince(origin: string, since: number): boolean {
    return (this.#answeredAt.get(origin) ?? -Infinity) >= since;
  }

  /** No requests go to `origin` before `until`: it asked so (a `Retry-After` on 429 or 503), or the DevTools panel did. */
  pause(origin: string, until: number): void {
    this.#pauseEnds.set(origin, Math.max(until, this.#pauseEnds.get(origin) ?? -Infinity));
  }

  /** The end of `origin`'s pause, if one runs at `now`. */
  pauseEnd(origin: string, now: number): number | undefined {
    const until = this.#pauseEnds.get(origin);
    if (until === undefined) return undefined;
    if (until > now) return until;
    this.#pauseEnds.delete(origin);
    return undefined;
  }

  /** The pauses running at `now`, by origin. */
  pauses(now: number): { origin: string; until: number }[] {
    return [...this.#pauseEnds.keys()].flatMap((origin) => {
      const until = this.pauseEnd(origin, now);
      return until === undefined ? [] : [{ origin, until }];
    });
  }
}
