import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { BatchOptions } from './BatchHandler.ts';
import { createBatchHandler } from './BatchHandler.ts';
import type { HandlerContext, IdempotencyOptions } from './Idempotency.ts';
import { Idempotency } from './Idempotency.ts';

export interface HonoIdempotencyOptions extends Omit<IdempotencyOptions, 'scope'> {
  /**
   * The user or tenant, e.g. `(c) => c.get('userId')` set by the app's auth middleware. Required unless
   * `singleScope` is given (`FerryServerError('invalid-config')` otherwise).
   * @default none (required)
   */
  scope?: (c: Context) => string | null | Promise<string | null>;
}

/** What the middleware puts in `c.get('ferry')`: the key, its scope, and the key's transaction (`sql`). */
export type FerryVariables = { ferry: HandlerContext };

/**
 * The idempotency layer as Hono middleware:
 * `app.use('/api/*', idempotency({ store, scope: (c) => c.get('userId') }))`.
 * The handlers behind it read the body as usual; `c.get('ferry').sql` is
 * the key's transaction (`effects: 'in-transaction'`, the default).
 */
export function idempotency(options: HonoIdempotencyOptions): MiddlewareHandler {
  const { scope, ...rest } = options;
  // The middleware passes each request's scope itself; the layer's own is never asked when `scope` is given.
  const layer = new Idempotency(scope ? { ...rest, scope: () => null } : rest);
  return async (c, next) => {
    const who = scope ? await scope(c) : undefined;
    const res = await layer.handle(
      c.req.raw,
      async (req, ctx) => {
        // The layer has read the body to fingerprint it: the handlers get a fresh copy.
        c.req.raw = req;
        c.set('ferry', ctx);
        await next();
        return c.res;
      },
      who,
    );
    // Unset first: Hono's `res` setter would copy the previous response's headers onto this one.
    c.res = undefined as unknown as Response;
    c.res = res;
  };
}

/**
 * Ferry's batch endpoint for a Hono app: each item goes through `app.fetch`,
 * so it meets the same middleware (auth, idempotency) as if it came alone.
 * Register it before the idempotency middleware's pattern covers it, e.g.
 * `app.post('/api/batch', batch(app))` ahead of `app.use('/api/*', …)`.
 */
export function batch(
  app: Pick<Hono, 'fetch'>,
  options: Omit<BatchOptions, 'dispatch'> = {},
): (c: Context) => Promise<Response> {
  return (c) => createBatchHandler({ ...options, dispatch: (req) => app.fetch(req, c.env) })(c.req.raw);
}
