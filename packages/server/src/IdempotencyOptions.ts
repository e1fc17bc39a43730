import { FerryServerError } from './FerryServerError.ts';
import type { IdempotencyStore, Sql } from './IdempotencyStore.ts';

/** What the app's handler is given besides the request. */
export interface HandlerContext {
  /**
   * With `effects: 'in-transaction'` (the default), the transaction that holds the key: write the
   * app's data through it and the effect commits with the stored answer (or rolls back with it).
   * With `'outside-database'`, null. `MemoryIdempotencyStore` has no database: its `sql` rejects every query.
   */
  sql: Sql | null;
  /** The scope and key the request runs under; null when it carried no key. */
  scope: string | null;
  key: string | null;
}

/** The app's own handler, over the Fetch API. */
export type AppHandler = (req: Request, ctx: HandlerContext) => Response | Promise<Response>;

/** Who a request is for: a user or tenant id from its verified session; null when it has none. */
export type ScopeOf = (req: Request) => string | null | Promise<string | null>;

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /**
   * Who the request is for: a user or tenant id from the app's *verified*
   * session, never from a header the client picks freely. Keys are unique
   * per scope. Returning null answers 401 to a keyed request. Required
   * unless `singleScope` is given: without either the layer refuses to start
   * (`FerryServerError('invalid-config')`), since one scope for everyone
   * replays one user's answer to another who reuses a key.
   * @default none (required)
   */
  scope?: ScopeOf;
  /**
   * One scope, by this name, for every request: only for an app with a single
   * user or tenant, or a test. Given together with `scope`, the layer refuses to start.
   * @default none
   */
  singleScope?: string;
  /**
   * Where the handler's effects are written, and so what "once" means.
   * - `'in-transaction'`: the handler runs inside the database transaction
   *   that holds the key (`ctx.sql`); its writes and the stored answer commit
   *   together, or roll back together (an answer that is not stored, a throw,
   *   a lost connection). Exactly once, across crashes, however slow the
   *   handler. Holds one connection per request in flight.
   * - `'outside-database'`: for effects outside the store's database (another
   *   service, a file). The answer is stored in a statement of its own after
   *   the handler returns, so there are two windows in which an effect can
   *   happen twice: a process that dies after the effect and before the answer
   *   is stored leaves the key to be claimed again when its lease ends, and a
   *   handler slower than `leaseMs` can be run again by a resend meanwhile.
   *   Make such a handler idempotent itself (an upsert by op id).
   * @default 'in-transaction'
   */
  effects?: 'in-transaction' | 'outside-database';
  /**
   * The user the request's *verified* session belongs to (its cookie or token),
   * or null when it has none. When set, a request whose op belongs to another
   * user (Ferry sends the op's user in the `Ferry-User` header) is refused with
   * 403 `user-mismatch` and nothing is applied: an op queued by Alice never
   * takes effect as Bob because Bob signed in on the same browser since. Ferry
   * holds such an op until its own user is signed in again.
   * @default none (no check)
   */
  user?: (req: Request) => string | null | Promise<string | null>;
  /** Whether a request without a key is refused with 400. @default POST and PATCH */
  requireKey?: (req: Request) => boolean;
  /**
   * How long a claim holds a key, by the store's clock; a request that crashed frees it after this. With
   * `'in-transaction'` an open transaction holds its key longer if it needs to. @default 30_000
   */
  leaseMs?: number;
  /** How long a stored answer is replayed. @default 86_400_000 (24 h) */
  expiresMs?: number;
  /**
   * The `Retry-After` of a 409, in seconds, capped by what is left of the
   * first request's lease: most requests finish long before their lease
   * ends, and Ferry's client waits that long without spending an attempt.
   * @default 1
   */
  inProgressRetryAfterS?: number;
  /** @default 255 */
  maxKeyLength?: number;
  /** @default 1_048_576 (1 MiB) */
  maxBodyBytes?: number;
  /**
   * Which answers are stored and replayed. 5xx never are, whatever this says.
   * @default 2xx and 4xx, except 408, 409, 425 and 429 (they say "try again", not "this is the outcome")
   */
  shouldStore?: (status: number) => boolean;
  /** Told about what the layer cannot answer for, e.g. a claim lost to an expired lease. @default none */
  onWarning?: (message: string) => void;
}

/** The default of {@link IdempotencyOptions.shouldStore}. */
export const storesByDefault = (status: number): boolean =>
  (status >= 200 && status < 300) ||
  (status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 425 && status !== 429);

export type ResolvedOptions = Required<Omit<IdempotencyOptions, 'onWarning' | 'user' | 'scope' | 'singleScope'>> &
  Pick<IdempotencyOptions, 'onWarning' | 'user'> & { scope: ScopeOf };

/** Options with their defaults; throws `invalid-config` for a layer that cannot work. */
export function resolveOptions(options: IdempotencyOptions): ResolvedOptions {
  const { scope, singleScope, ...rest } = options;
  if (scope !== undefined && singleScope !== undefined)
    throw new FerryServerError('invalid-config', 'give either scope or singleScope, not both');
  if (scope === undefined && (singleScope === undefined || singleScope === ''))
    throw new FerryServerError(
      'invalid-config',
      'the idempotency layer needs scope (the verified user or tenant of a request) ' +
        'or, for an app with one user, singleScope',
    );
  const resolved: ResolvedOptions = {
    requireKey: (req) => req.method === 'POST' || req.method === 'PATCH',
    effects: 'in-transaction',
    leaseMs: 30_000,
    expiresMs: 86_400_000,
    inProgressRetryAfterS: 1,
    maxKeyLength: 255,
    maxBodyBytes: 1_048_576,
    shouldStore: storesByDefault,
    ...rest,
    scope: scope ?? (() => singleScope as string),
  };
  if (!(resolved.leaseMs > 0) || !(resolved.expiresMs > 0))
    throw new FerryServerError('invalid-config', 'leaseMs and expiresMs must be > 0');
  if (resolved.effects !== 'in-transaction' && resolved.effects !== 'outside-database')
    throw new FerryServerError('invalid-config', "effects must be 'in-transaction' or 'outside-database'");
  return resolved;
}
