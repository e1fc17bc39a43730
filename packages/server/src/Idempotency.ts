import type { IdempotencyStore, Sql, StoredAnswer } from './IdempotencyStore.ts';
import { TooLarge, readBody } from './lib/body.ts';
import { fingerprint } from './lib/fingerprint.ts';
import { parseKey } from './lib/key.ts';
import { namesAnotherUser } from './lib/user.ts';
import { problem } from './problem.ts';

/** What the app's handler is given besides the request. */
export interface HandlerContext {
  /**
   * With `transaction: true`, the transaction that holds the key: write the
   * app's data through it and the effect commits with the stored answer (or
   * rolls back with it). Otherwise null.
   */
  sql: Sql | null;
  /** The scope and key the request runs under; null when it carried no key. */
  scope: string | null;
  key: string | null;
}

/** The app's own handler, over the Fetch API. */
export type AppHandler = (req: Request, ctx: HandlerContext) => Response | Promise<Response>;

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /**
   * Who the request is for: a user or tenant id from the app's *verified*
   * session, never from a header the client picks freely. Keys are unique
   * per scope. Returning null answers 401 to a keyed request.
   * @default () => 'global' (one scope for everyone: only for single-user apps and tests)
   */
  scope?: (req: Request) => string | null | Promise<string | null>;
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
  /** How long a claim holds a key; a request that crashed frees it after this. @default 30_000 */
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
  /**
   * Run the handler inside the transaction that holds the key (`ctx.sql`),
   * so its writes and the stored answer commit as one; an answer that is
   * not stored (5xx, 429…) rolls the writes back. @default false
   */
  transaction?: boolean;
  /** @default () => Date.now() */
  clock?: () => number;
  /** Told about what the layer cannot answer for, e.g. a claim lost to an expired lease. */
  onWarning?: (message: string) => void;
}

type ResponseBody = ConstructorParameters<typeof Response>[0];
const UNKEYED_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Not stored with an answer: hop-by-hop headers, and ones that describe this exchange only. */
const UNSTORED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'date',
  'upgrade',
  'trailer',
]);

/** The default of {@link IdempotencyOptions.shouldStore}. */
export const storesByDefault = (status: number): boolean =>
  (status >= 200 && status < 300) ||
  (status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 425 && status !== 429);

/**
 * The idempotency layer: wraps the app's handler so that each
 * `(scope, Idempotency-Key)` takes effect once, per the IETF
 * Idempotency-Key draft (draft-ietf-httpapi-idempotency-key-header):
 * the first request claims the key atomically with a lease; a repeat while
 * it runs gets 409 with `Retry-After`; a repeat after it gets the stored
 * answer with `Idempotent-Replayed: true`; the same key with another
 * payload gets 422; 5xx answers are never stored.
 */
export class Idempotency {
  readonly #o: Required<Omit<IdempotencyOptions, 'onWarning' | 'user'>> &
    Pick<IdempotencyOptions, 'onWarning' | 'user'>;

  constructor(options: IdempotencyOptions) {
    this.#o = {
      scope: () => 'global',
      requireKey: (req) => req.method === 'POST' || req.method === 'PATCH',
      leaseMs: 30_000,
      expiresMs: 86_400_000,
      inProgressRetryAfterS: 1,
      maxKeyLength: 255,
      maxBodyBytes: 1_048_576,
      shouldStore: storesByDefault,
      transaction: false,
      clock: () => Date.now(),
      ...options,
    };
    if (!(this.#o.leaseMs > 0) || !(this.#o.expiresMs > 0)) throw new RangeError('leaseMs and expiresMs must be > 0');
  }

  /** `handler` behind the layer, as a Fetch API handler. */
  wrap(handler: AppHandler): (req: Request) => Promise<Response> {
    return (req) => this.handle(req, handler);
  }

  /**
   * Answers one request through the layer.
   * @param scope overrides the `scope` option (adapters that know the user from their own context)
   */
  async handle(req: Request, handler: AppHandler, scope?: string | null): Promise<Response> {
    if (this.#o.user && namesAnotherUser(req, await this.#o.user(req))) {
      return problem(
        403,
        'user-mismatch',
        'this operation belongs to another user than the one signed in; nothing was applied',
      );
    }
    const raw = req.headers.get('idempotency-key');
    if (raw === null || UNKEYED_METHODS.has(req.method)) {
      if (raw === null && !UNKEYED_METHODS.has(req.method) && this.#o.requireKey(req)) {
        return problem(
          400,
          'idempotency-key-missing',
          `${req.method} ${new URL(req.url).pathname} requires an Idempotency-Key header`,
        );
      }
      return handler(req, { sql: null, scope: null, key: null });
    }
    const parsed = parseKey(raw, this.#o.maxKeyLength);
    if ('error' in parsed) return problem(400, 'idempotency-key-invalid', `Idempotency-Key refused: ${parsed.error}`);
    const { key } = parsed;
    const who = scope === undefined ? await this.#o.scope(req) : scope;
    if (who === null || who === '')
      return problem(401, 'scope-missing', 'the request has no user or tenant to scope its Idempotency-Key to');

    let body: Uint8Array;
    try {
      body = await readBody(req, this.#o.maxBodyBytes);
    } catch (err) {
      if (err instanceof TooLarge)
        return problem(413, 'body-too-large', `the body is larger than ${this.#o.maxBodyBytes} bytes`);
      return problem(400, 'body-unreadable', 'the request body could not be read');
    }
    const url = new URL(req.url);
    const fp = await fingerprint(req.method, url.pathname + url.search, body);
    const now = this.#o.clock();

    let claim;
    try {
      claim = await this.#o.store.claim({
        scope: who,
        key,
        fingerprint: fp,
        now,
        leaseMs: this.#o.leaseMs,
        expiresMs: this.#o.expiresMs,
      });
    } catch {
      return problem(503, 'storage-unavailable', 'the idempotency store is unavailable; nothing was applied', {
        'retry-after': '1',
      });
    }
    if (claim.kind !== 'claimed') {
      if (claim.fingerprint !== fp)
        return problem(
          422,
          'idempotency-key-reused',
          'this Idempotency-Key was used with another request (method, path or payload)',
        );
      if (claim.kind === 'running')
        return inUse(Math.min(claim.leaseUntil - now, this.#o.inProgressRetryAfterS * 1000));
      return replay(claim.answer);
    }

    const inner = new Request(req.url, {
      method: req.method,
      headers: req.headers,
      ...(body.byteLength > 0 && { body: body as ResponseBody }),
      signal: req.signal,
    });
    const ctx = (sql: Sql | null): HandlerContext => ({ sql, scope: who, key });
    const { ref } = claim;
    try {
      if (this.#o.transaction) {
        const settled = await this.#o.store.settle(ref, async (sql) => {
          const res = await handler(inner, ctx(sql));
          const answer = this.#shouldStore(res.status) ? await toStored(res) : null;
          return { value: answer ? fromStored(answer) : res, answer, rollback: answer === null };
        });
        // Our lease ran out before our transaction began, and another request has the key now.
        if (!settled.ok) return inUse(this.#o.inProgressRetryAfterS * 1000);
        return settled.value;
      }
      const res = await handler(inner, ctx(null));
      const answer = this.#shouldStore(res.status) ? await toStored(res) : null;
      if (!answer) {
        await this.#o.store.release(ref);
        return res;
      }
      // One statement: the effect happened outside the store, so there is nothing to commit it with.
      if (!(await this.#o.store.complete(ref, answer))) {
        this.#o.onWarning?.(
          `Idempotency-Key ${key}: the lease ran out while the handler ran and another request claimed the key; its effect may have happened twice (raise leaseMs, or use transaction: true)`,
        );
      }
      return fromStored(answer);
    } catch (err) {
      await this.#o.store.release(ref).catch(() => undefined);
      this.#o.onWarning?.(`Idempotency-Key ${key}: ${err instanceof Error ? err.message : String(err)}`);
      return problem(
        500,
        'handler-failed',
        'the request failed; nothing was stored, and it may be sent again with the same key',
      );
    }
  }

  #shouldStore(status: number): boolean {
    return status < 500 && this.#o.shouldStore(status);
  }
}

function inUse(msLeft: number): Response {
  const seconds = Math.max(1, Math.ceil(msLeft / 1000));
  return problem(
    409,
    'idempotency-key-in-use',
    'a request with this Idempotency-Key is still being processed; retry later',
    {
      'retry-after': String(seconds),
    },
  );
}

async function toStored(res: Response): Promise<StoredAnswer> {
  const headers: [string, string][] = [];
  res.headers.forEach((value, name) => {
    if (!UNSTORED_HEADERS.has(name) && name !== 'set-cookie') headers.push([name, value]);
  });
  for (const cookie of res.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
  return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
}

function fromStored(a: StoredAnswer, extra: [string, string][] = []): Response {
  const headers = new Headers();
  for (const [k, v] of [...a.headers, ...extra]) headers.append(k, v);
  const empty = a.status === 204 || a.status === 205 || a.status === 304;
  return new Response(empty ? null : (a.body as ResponseBody), { status: a.status, headers });
}

function replay(a: StoredAnswer): Response {
  return fromStored(a, [['idempotent-replayed', 'true']]);
}
