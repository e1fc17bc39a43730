import type { JsonValue, Operation, OperationInput } from '@ferry/core';
import type { FerryHost } from '@ferry/sw';
import type { CacheStorageLike } from './lib/headerStore.ts';
import { HeaderStore, keptHeaders } from './lib/headerStore.ts';

/** The part of a FerryHost the plugin uses: `handle` runs a request as if a page had sent it. */
export type PluginHost = Pick<FerryHost, 'handle'>;

export interface FerryPluginOptions {
  /** The worker's Ferry host; its transport's `headers` hook must be {@link workboxHeaders}, which sends the kept headers. */
  host: PluginHost;
  /** The op's `kind`. @default `${method} ${pathname}` */
  kind?: (request: Request) => string;
  /** The op's lane: ops of a lane go out one at a time, in order. @default 'workbox' */
  lane?: (request: Request) => string;
  /** Which answers are queued as well as network errors. @default 5xx and 429 */
  retryable?: (response: Response) => boolean;
  /**
   * What the page gets once its request is queued (durable).
   * @default `202` with `{ "queued": true, "id": op.id }`
   */
  respond?: (op: Operation, request: Request) => Response | Promise<Response>;
  /** Further request headers never kept (credentials besides Authorization, Cookie, Proxy-Authorization). @default [] */
  dropHeaders?: readonly string[];
  /**
   * Keep order with what is queued: while the request's lane has ops waiting, a new request is queued
   * behind them instead of going to the network (where it would overtake them).
   * @default true
   */
  ordered?: boolean;
  /** @default the global `caches` */
  caches?: () => CacheStorageLike;
}

/** What Workbox hands plugin callbacks; typed structurally, so the plugin needs no Workbox types. */
interface CallbackParams {
  request: Request;
  originalRequest?: Request;
  response?: Response;
  error?: Error;
  state?: Record<string, unknown>;
}

const defaultRespond = (op: Operation): Response =>
  new Response(JSON.stringify({ queued: true, id: op.id }), { status: 202, headers: { 'content-type': 'application/json' } });

let requests = 0;
const nextId = (): string => `ferry-workbox-${++requests}`;
const DEFAULT_LANE = 'workbox';

/**
 * A Workbox plugin, the drop-in replacement for `BackgroundSyncPlugin` on a
 * `NetworkOnly` route: a request that failed (network error) or got a
 * retryable answer (5xx, 429: workbox's own plugin sees network errors only)
 * becomes a Ferry op (method, URL, JSON body; the app's headers kept apart,
 * credentials never stored), delivered by the host with an `Idempotency-Key`,
 * retried with backoff, in order within its lane. The page is answered as
 * `respond` says (`202` with the op id by default).
 *
 *     const host = createFerryHost({ transport: { headers: workboxHeaders(async () => ({ Authorization: `Bearer ${await token()}` })) } });
 *     const plugin = new FerryPlugin({ host });
 *     registerRoute(({ url }) => url.pathname.startsWith('/api/'), new NetworkOnly({ plugins: [plugin] }), 'POST');
 *
 * Only JSON bodies (or none) are queued: a request with another body is left
 * to fail as it would without the plugin. The plugin owns no route and no lifecycle.
 */
export class FerryPlugin {
  readonly #o: FerryPluginOptions;
  readonly #store: HeaderStore;

  constructor(options: FerryPluginOptions) {
    this.#o = options;
    this.#store = new HeaderStore(options.caches);
  }

  /**
   * Workbox: keeps a copy of the request, whose body the fetch consumes; and, while its lane has ops
   * waiting, stops the fetch (by throwing) so that `handlerDidError` queues the request behind them.
   */
  requestWillFetch = async ({ request, state }: CallbackParams): Promise<Request> => {
    if (state) state['copy'] = request.clone();
    if (state && this.#o.ordered !== false && (await this.#laneBusy(request))) {
      state['hold'] = true;
      throw new Error('ferry: queued behind the earlier requests of its lane');
    }
    return request;
  };

  /** Workbox: a retryable answer is queued, and the page gets `respond`'s answer instead. */
  fetchDidSucceed = async ({ response, state }: CallbackParams): Promise<Response> => {
    const copy = state?.['copy'];
    if (!response || !(copy instanceof Request) || !(this.#o.retryable ?? isRetryable)(response)) return response as Response;
    const op = await this.#queue(copy);
    return op ? this.#respond(op, copy) : response;
  };

  /** Workbox: a network error is queued; `handlerDidError` answers the page. */
  fetchDidFail = async ({ originalRequest, request, state }: CallbackParams): Promise<void> => {
    const op = await this.#queue((originalRequest ?? request).clone());
    if (op && state) state['queued'] = op;
  };

  /** Workbox: the strategy failed; answers with `respond` when the request was queued (or is, when it was held). */
  handlerDidError = async ({ request, state }: CallbackParams): Promise<Response | undefined> => {
    const copy = state?.['copy'];
    let op = state?.['queued'] as Operation | undefined;
    if (!op && state?.['hold'] && copy instanceof Request) op = await this.#queue(copy);
    return op ? this.#respond(op, request) : undefined;
  };

  /** Whether ops of the request's lane wait (pending or in flight). */
  async #laneBusy(request: Request): Promise<boolean> {
    const lane = this.#o.lane?.(request) ?? DEFAULT_LANE;
    const waiting = await Promise.all(
      (['pending', 'inflight'] as const).map((status) =>
        this.#o.host.handle({ v: 1, id: nextId(), type: 'list', query: { lane, status, limit: 1 } }).then((h) => (h.result as Operation[]).length),
      ),
    );
    return waiting.some((n) => n > 0);
  }

  #respond(op: Operation, request: Request): Response | Promise<Response> {
    return (this.#o.respond ?? defaultRespond)(op, request);
  }

  /** Makes `request` an op and enqueues it; undefined when it cannot be one (a body that is not JSON). */
  async #queue(request: Request): Promise<Operation | undefined> {
    const input = await toInput(request, this.#o);
    if (!input) return undefined;
    const { op, headers } = input;
    const handled = await this.#o.host.handle({ v: 1, id: nextId(), type: 'enqueue', op });
    const stored = handled.result as Operation;
    // Written after the op is durable, before its first send: that send is started below, once answered.
    if (Object.keys(headers).length > 0) await this.#store.put(stored.id, headers);
    void handled.after?.();
    return stored;
  }
}

const isRetryable = (res: Response): boolean => res.status >= 500 || res.status === 429;

async function toInput(request: Request, o: FerryPluginOptions): Promise<{ op: OperationInput; headers: Record<string, string> } | undefined> {
  const url = new URL(request.url);
  const text = await request.text();
  let payload: JsonValue = null;
  if (text !== '') {
    try {
      payload = JSON.parse(text) as JsonValue;
    } catch {
      return undefined;
    }
  }
  const method = request.method.toUpperCase() as OperationInput['method'];
  const op: OperationInput = {
    kind: o.kind?.(request) ?? `${request.method} ${url.pathname}`,
    target: url.origin === globalThis.location?.origin ? `${url.pathname}${url.search}` : url.href,
    lane: o.lane?.(request) ?? DEFAULT_LANE,
    payload,
    ...(method && { method }),
  };
  const key = request.headers.get('idempotency-key');
  if (key) op.idempotencyKey = key;
  return { op, headers: keptHeaders(request, o.dropHeaders) };
}

/**
 * The `headers` hook for the host's transport: the app's headers kept with a
 * request the plugin queued, plus `extra`'s (credentials, asked at every
 * send and never stored), which win on a clash.
 */
export function workboxHeaders(
  extra?: (op: Operation) => Record<string, string> | Promise<Record<string, string>>,
  caches?: () => CacheStorageLike,
): (op: Operation) => Promise<Record<string, string>> {
  const store = new HeaderStore(caches);
  return async (op) => ({ ...(await store.get(op.id)), ...(extra ? await extra(op) : {}) });
}
