/** How long a 403 to one op makes a 403 to another op of the same user and origin look like the session's. */
export const FORBIDDEN_WINDOW_MS = 60_000;

/** Every reason a session hold gives starts with this: the page can tell it from other holds. */
export const NEEDS_AUTH = 'needs-auth';

interface Forbidden {
  at: number;
  opId: string;
  /** Whether that 403 failed its op (the default's first 403 does). */
  failed: boolean;
}

interface Held {
  reason: string;
  /** Ops failed by the first of the answers that turned out to be about the session: they come back on release. */
  failed: Set<string>;
}

/**
 * The sessions the transport found refused, by scope (a user, or no user)
 * and origin: every op of a held scope is held (see `HttpTransport.holds`)
 * until it is released (new credentials for that user, a retry, `syncNow`).
 * Also the last 403 per scope, to tell a refusal of one op from a refusal of
 * the session. Kept in the worker's memory: the holds themselves are on the
 * ops (`held`), and a released scope that is still refused is held again by
 * its next answer.
 */
export class Sessions {
  readonly #held = new Map<string, Held>();
  readonly #forbidden = new Map<string, Forbidden>();

  /** Why ops of `user` (undefined: ops without a user) to `origin` are held, if they are. */
  reason(user: string | undefined, origin: string): string | undefined {
    return this.#held.get(scopeKey(user, origin))?.reason;
  }

  /**
   * The last 403 to another op of the scope within {@link FORBIDDEN_WINDOW_MS}
   * of `now`, if any.
   */
  recentForbidden(user: string | undefined, origin: string, opId: string, now: number): Forbidden | undefined {
    const seen = this.#forbidden.get(scopeKey(user, origin));
    return seen && seen.opId !== opId && now - seen.at <= FORBIDDEN_WINDOW_MS && seen.at <= now ? seen : undefined;
  }

  /** A 403 answered op `opId` at `at`; `failed` when it failed that op. */
  forbidden(user: string | undefined, origin: string, opId: string, at: number, failed: boolean): void {
    this.#forbidden.set(scopeKey(user, origin), { at, opId, failed });
  }

  /**
   * Holds the scope with `reason`; `failed` is an op an earlier answer of the
   * same kind failed, to bring back on release. Returns the reason the scope
   * is held with (the first one given, while it stays held).
   */
  hold(user: string | undefined, origin: string, reason: string, failed?: string): string {
    const key = scopeKey(user, origin);
    const held = this.#held.get(key) ?? { reason, failed: new Set<string>() };
    if (failed !== undefined) held.failed.add(failed);
    this.#held.set(key, held);
    return held.reason;
  }

  /**
   * Releases the scopes whose user `match` picks (undefined: ops without a
   * user), on every origin. Returns the ops failed by a first answer of a
   * released scope, oldest first: retry them to bring them back.
   */
  release(match: (user: string | undefined) => boolean): string[] {
    const failed: string[] = [];
    for (const [key, held] of this.#held) {
      if (!match(userOf(key))) continue;
      this.#held.delete(key);
      failed.push(...held.failed);
    }
    for (const key of [...this.#forbidden.keys()]) if (match(userOf(key))) this.#forbidden.delete(key);
    return failed;
  }
}

/** A scope's key: JSON keeps a user id and an origin apart whatever they contain, and no user apart from any user. */
function scopeKey(user: string | undefined, origin: string): string {
  return JSON.stringify([user ?? null, origin]);
}

function userOf(key: string): string | undefined {
  return (JSON.parse(key) as [string | null, string])[0] ?? undefined;
}
