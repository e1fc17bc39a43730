import type { AppHandler, HandlerContext, IdempotencyOptions, ResolvedOptions } from './IdempotencyOptions.ts';
import { resolveOptions } from './IdempotencyOptions.ts';
import type { ClaimInput, ClaimRef, ClaimResult, Sql } from './IdempotencyStore.ts';
import { fromStored, inUse, replay, toStored } from './lib/answers.ts';
import { TooLarge, readBody } from './lib/body.ts';
import { DuplicateMember, fingerprint } from './lib/fingerprint.ts';
import { parseKey } from './lib/key.ts';
import { withSignal } from './lib/signal.ts';
import { namesAnotherUser } from './lib/user.ts';
import { FerryServerError } from './FerryServerError.ts';
import { problem } from './problem.ts';

export type { AppHandler, HandlerContext, IdempotencyOptions } from './IdempotencyOptions.ts';
export { storesByDefault } from './IdempotencyOptions.ts';

type ResponseBody = ConstructorParameters<typeof Response>[0];
const UNKEYED_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const unavailable = (detail: string): Response => problem(503, 'storage-unavailable', detail, { 'retry-after': '1' });

/**
 * The idempotency layer: wraps the app's handler so that each
 * `(scope, Idempotency-Key)` takes effect once, per the IETF
 * Idempotency-Key draft (draft-ietf-httpapi-idempotency-key-header):
 * the first request claims the key atomically with a lease; a repeat while
 * it runs gets 409 with `Retry-After` at once; a repeat after it gets the stored
 * answer with `Idempotent-Replayed: true`; the same key with another
 * payload gets 422; 5xx answers are never stored.
 */
export class Idempotency {
  readonly #o: ResolvedOptions;

  /** @throws FerryServerError `invalid-config` for options that cannot work (no `scope` nor `singleScope`…). */
  constructor(options: IdempotencyOptions) {
    this.#o = resolveOptions(options);
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
    let fp: string;
    try {
      fp = await fingerprint(req.method, url.pathname + url.search, body);
    } catch (err) {
      if (!(err instanceof DuplicateMember)) throw err;
      return problem(400, 'body-duplicate-member', `the JSON body has a member twice: ${err.message}`);
    }

    const claim: ClaimInput = {
      scope: who,
      key,
      fingerprint: fp,
      leaseMs: this.#o.leaseMs,
      expiresMs: this.#o.expiresMs,
    };
    const inner = withSignal(
      new Request(req.url, {
        method: req.method,
        headers: req.headers,
        ...(body.byteLength > 0 && { body: body as ResponseBody }),
      }),
      () => req.signal,
    );
    const ctx = (sql: Sql | null): HandlerContext => ({ sql, scope: who, key });
    if (this.#o.effects === 'in-transaction') return this.#inTransaction(claim, (sql) => handler(inner, ctx(sql)));
    let claimed;
    try {
      claimed = await this.#o.store.claim(claim);
    } catch {
      return unavailable('the idempotency store is unavailable; nothing was applied');
    }
    if (claimed.kind !== 'claimed') return taken(claimed, fp, this.#o.inProgressRetryAfterS);
    return this.#outside(claimed.ref, () => handler(inner, ctx(null)));
  }

  /** The handler inside the key's transaction: its writes and the stored answer commit, or roll back, as one. */
  async #inTransaction(claim: ClaimInput, run: (sql: Sql) => Response | Promise<Response>): Promise<Response> {
    let ran = false;
    try {
      const result = await this.#o.store.transact(claim, async (sql) => {
        ran = true;
        const res = await run(sql);
        const answer = this.#shouldStore(res.status) ? await toStored(res) : null;
        return { value: answer ? fromStored(answer) : res, answer, rollback: answer === null };
      });
      return result.kind === 'settled' ? result.value : taken(result, claim.fingerprint, this.#o.inProgressRetryAfterS);
    } catch (err) {
      if (!ran) return unavailable('the idempotency store is unavailable; nothing was applied');
      this.#warn(claim.key, err);
      if (err instanceof FerryServerError && err.code === 'storage-unavailable')
        return unavailable(
          'the database connection was lost before the request committed: it was not applied, or if its commit ' +
            'went through, a resend with the same Idempotency-Key gets its stored answer',
        );
      return problem(
        500,
        'handler-failed',
        'the request failed and was rolled back: nothing was applied or stored; it may be sent again with the same key',
      );
    }
  }

  /** The handler with its effects elsewhere: the answer is stored after it, in a statement of its own. */
  async #outside(ref: ClaimRef, run: () => Response | Promise<Response>): Promise<Response> {
    let res: Response;
    try {
      res = await run();
    } catch (err) {
      this.#warn(ref.key, err);
      await this.#o.store.release(ref).catch(() => undefined);
      return problem(
        500,
        'handler-failed',
        'the handler failed and no answer was stored; whatever it did outside the database before failing ' +
          'stays done, and a resend with the same key runs it again',
      );
    }
    const answer = this.#shouldStore(res.status) ? await toStored(res) : null;
    if (!answer) {
      await this.#o.store.release(ref).catch(() => undefined);
      return res;
    }
    try {
      if (!(await this.#o.store.complete(ref, answer)))
        this.#o.onWarning?.(
          `Idempotency-Key ${ref.key}: the lease ran out while the handler ran and another request claimed the key; ` +
            `its effect may have happened twice (raise leaseMs, or use effects: 'in-transaction')`,
        );
    } catch (err) {
      // The effect happened: the client gets its answer. Unstored, a resend after the lease runs it again.
      this.#o.onWarning?.(
        `Idempotency-Key ${ref.key}: applied, but its answer could not be stored (${describe(err)}); ` +
          'a resend after the lease runs the handler again',
      );
    }
    return fromStored(answer);
  }

  #warn(key: string, err: unknown): void {
    this.#o.onWarning?.(`Idempotency-Key ${key}: ${describe(err)}`);
  }

  #shouldStore(status: number): boolean {
    return status < 500 && this.#o.shouldStore(status);
  }
}

/** The answer to a request whose key another request holds (409) or completed (a replay), or reused (422). */
function taken(found: Exclude<ClaimResult, { kind: 'claimed' }>, fp: string, maxRetryAfterS: number): Response {
  if (found.fingerprint !== fp)
    return problem(
      422,
      'idempotency-key-reused',
      'this Idempotency-Key was used with another request (method, path or payload)',
    );
  if (found.kind === 'running') return inUse(Math.min(found.retryAfterMs, maxRetryAfterS * 1000));
  return replay(found.answer);
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));
