import type { LoggerOptions, Operation } from '@ferry/core';
import { WORKBOX_EVENTS } from '@ferry/core';
import type { Logger } from '@ferry/core/internal';
import { checkLogger, createLogger, errorData } from '@ferry/core/internal';
import type { FerryHost } from '@ferry/sw';
import { HeaderJanitor } from './lib/headerJanitor.ts';
import type { CacheStorageLike } from './lib/headerStore.ts';
import { HeaderStore } from './lib/headerStore.ts';
import { DEFAULT_LANE, QUEUED_METHODS, toInput, userOf } from './lib/toInput.ts';

/**
 * The part of a FerryHost the plugin uses: `handle` runs a request as if a page had sent it, `subscribe`
 * tells it when an op leaves the queue (its kept headers are deleted then), `names` names its cache.
 */
export type PluginHost = Pick<FerryHost, 'handle' | 'subscribe' | 'names'>;

export interface FerryPluginOptions {
  /** The worker's Ferry host; its transport's `headers` hook must be {@link workboxHeaders}, which sends the kept headers. */
  host: PluginHost;
  /** The op's `kind`. @default `${method} ${pathname}` */
  kind?: (request: Request) => string;
  /** The op's lane: ops of a lane go out one at a time, in order (per user). @default 'workbox' */
  lane?: (request: Request) => string;
  /**
   * Whose op it is: a user id, or a function of the request (undefined: nobody's). An op with a user is
   * sent only with that user's credentials, which the pages hand over (`setUser` with a `credentials`
   * provider, or `setCredentials`), and is held, spending nothing, while there are none; lanes are per user.
   * @default none: nobody's ops, sent with the `workboxHeaders(extra)` hook's headers
   */
  user?: string | ((request: Request) => string | undefined | Promise<string | undefined>);
  /**
   * Which answers are queued as well as network errors. A 5xx may come after the upstream applied the
   * request (a gateway's 502), so the default queues it only when the request carries an
   * `Idempotency-Key` (the server recognises the repeat); a 429 is always queued (nothing was applied).
   * @default 429, and 5xx of a request with an `Idempotency-Key`
   */
  retryable?: (response: Response, request: Request) => boolean;
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
  /** What the plugin logs (`workbox.*` events), as the host's `logger`. @default `{ level: 'warn' }`, to the console */
  logger?: LoggerOptions;
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
  new Response(JSON.stringify({ queued: true, id: op.id }), {
    status: 202,
    headers: { 'content-type': 'application/json' },
  });

let requests = 0;
const nextId = (): string => `ferry-workbox-${++requests}`;

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
  readonly #log: Logger<keyof typeof WORKBOX_EVENTS>;
  #warned = false;

  /** Listens to `host`'s changes from here on: an op that leaves the queue has its kept headers deleted. */
  constructor(options: FerryPluginOptions) {
    this.#o = options;
    this.#log = createLogger(checkLogger(options.logger), WORKBOX_EVENTS);
    this.#store = new HeaderStore(options.caches, options.host.names.name);
    const queued = async (id: string): Promise<boolean> => {
      const op = (await options.host.handle({ v: 1, id: nextId(), type: 'get', opId: id })).result as Operation | null;
      return op !== null && op.status !== 'done';
    };
    const janitor = new HeaderJanitor(this.#store, queued, (err) => {
      if (this.#log.wants('workbox.cleanup-failed'))
        this.#log.emit('workbox.cleanup-failed', { error: errorData(err) });
    });
    options.host.subscribe((change) => janitor.onChange(change));
  }

  /**
   * Workbox: keeps a copy of the request, whose body the fetch consumes; and, while its lane has ops
   * waiting, stops the fetch (by throwing) so that `handlerDidError` queues the request behind them.
   * A request whose method changes nothing (GET, HEAD) goes its way, as without the plugin.
   */
  requestWillFetch = async ({ request, state }: CallbackParams): Promise<Request> => {
    if (!QUEUED_METHODS.has(request.method.toUpperCase())) {
      this.#warnOnce(request);
      return request;
    }
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
    const retryable = this.#o.retryable ?? isRetryable;
    if (!response || !(copy instanceof Request) || !retryable(response, copy)) return response as Response;
    const op = await this.#queue(copy);
    return op ? this.#respond(op, copy) : response;
  };

  /** Workbox: a network error is queued; `handlerDidError` answers the page. */
  fetchDidFail = async ({ originalRequest, request, state }: CallbackParams): Promise<void> => {
    if (!QUEUED_METHODS.has(request.method.toUpperCase())) return;
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

  /**
   * Whether ops of the request's lane wait, pending or in flight: its user's (lanes are per user), or,
   * for a request of nobody, anyone's in a lane of that name (queued behind them, it keeps its order).
   */
  async #laneBusy(request: Request): Promise<boolean> {
    const lane = this.#o.lane?.(request) ?? DEFAULT_LANE;
    const user = await userOf(request, this.#o);
    const waiting = await Promise.all(
      (['pending', 'inflight'] as const).map(async (status) => {
        const query = { lane, status, limit: 1, ...(user !== undefined && { user }) };
        return ((await this.#o.host.handle({ v: 1, id: nextId(), type: 'list', query })).result as Operation[]).length;
      }),
    );
    return waiting.some((n) => n > 0);
  }

  #warnOnce(request: Request): void {
    if (this.#warned || !this.#log.wants('workbox.method-passed')) return;
    this.#warned = true;
    const reason = `FerryPlugin queues POST, PUT, PATCH and DELETE requests only; ${request.method} requests of its route go their way as without it`;
    this.#log.emit('workbox.method-passed', { reason });
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

const isRetryable = (res: Response, req: Request): boolean => {
  return res.status === 429 || (res.status >= 500 && req.headers.has('idempotency-key'));
};

export interface WorkboxHeadersOptions {
  /** The app's name: the host's `name`, which names the plugin's cache. @default none */
  name?: string;
  /** @default the global `caches` */
  caches?: () => CacheStorageLike;
  /** What the plugin logs (`workbox.*` events), as the host's `logger`. @default `{ level: 'warn' }`, to the console */
  logger?: LoggerOptions;
}

/**
 * The `headers` hook for the host's transport: the app's headers kept with a
 * request the plugin queued, plus, for an op of nobody, `extra`'s
 * (credentials, asked at every send and never stored), which win on a clash.
 * An op with a user never gets `extra`'s: it goes with that user's own
 * credentials, which the host adds.
 */
export function workboxHeaders(
  extra?: (op: Operation) => Record<string, string> | Promise<Record<string, string>>,
  options: WorkboxHeadersOptions = {},
): (op: Operation) => Promise<Record<string, string>> {
  const store = new HeaderStore(options.caches, options.name);
  return async (op) => ({ ...(await store.get(op.id)), ...(extra && op.user === undefined ? await extra(op) : {}) });
}
