import type { Clock, Operation, SendContext, SendResult, Timers, Transport } from '@ferry/core';
import { systemClock, systemTimers } from '@ferry/core';
import { errorExcerpt, oneLine } from './lib/errorExcerpt.ts';
import { readBody } from './lib/readBody.ts';
import { parseRetryAfter } from './lib/retryAfter.ts';
import { targetUrl } from './lib/targetUrl.ts';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpTransportOptions {
  /** @default the global `fetch`, read at send time */
  fetch?: FetchLike;
  /** Relative targets resolve against it, and absolute ones on it are allowed. @default `location.origin`, read at send time */
  origin?: () => string;
  /** Further origins absolute targets may point at, e.g. `https://api.example`. @default [] */
  allowedOrigins?: readonly string[];
  /** A send that has not answered by then is aborted and retried later. @default 15000 */
  timeoutMs?: number;
  /**
   * Extra request headers, usually `Authorization`, asked for at every send.
   * What it returns is never stored with the op.
   */
  headers?: (op: Operation) => Promise<Record<string, string>> | Record<string, string>;
  /**
   * Called on a 401 or 403. Resolve true after refreshing credentials: the
   * send is repeated once at once (no attempt spent). A second 401/403, or
   * false, makes the op fail permanently.
   */
  onUnauthorized?: (op: Operation, response: Response) => Promise<boolean>;
  /**
   * Where batch sends go, e.g. `/api/batch` (resolved and allow-listed like a
   * target). When set, the transport has `sendBatch`: several ops of a lane in
   * one `POST`, answered with a result per op (see the package README for the
   * wire format). The `headers` and `onUnauthorized` hooks get the batch's first op.
   */
  batchTarget?: string;
  clock?: Clock;
  timers?: Timers;
}

/** A batch answer is a status and maybe a reason per op: anything near this size is not one. */
const MAX_BATCH_ANSWER_BYTES = 256 * 1024;

/** Statuses worth another try later (SPEC, SyncWorker). */
const isRetryableStatus = (s: number): boolean => s === 408 || s === 425 || s === 429 || s >= 500;

/** What goes on the wire for one op of a batch: the op's intent, none of its bookkeeping. */
type BatchItem = Pick<Operation, 'id' | 'kind' | 'target' | 'method' | 'idempotencyKey' | 'payload'>;

/** An exchange to make: what differs between a single send and a batch. */
interface Exchange {
  url: string;
  method: Operation['method'];
  body?: string;
  /** `Idempotency-Key`: the op's own on a single send; none on a batch (each item carries its key). */
  key?: string;
  /** Given to the `headers` and `onUnauthorized` hooks. */
  op: Operation;
}

/**
 * Delivers ops over HTTP: one request per op, `Idempotency-Key` from the op,
 * JSON body from its payload, a timeout, and the status classification of
 * the spec (network error, timeout, 408, 425, 429, 5xx → retryable; other
 * 4xx and 3xx → permanent). With `batchTarget`, also several ops of a lane
 * per request (`sendBatch`). Never throws.
 */
export class HttpTransport implements Transport {
  readonly sendBatch?: (ops: readonly Operation[], ctx: SendContext) => Promise<SendResult[]>;
  readonly #fetch: FetchLike;
  readonly #origin: () => string;
  readonly #allowed: readonly string[];
  readonly #timeoutMs: number;
  readonly #headers: HttpTransportOptions['headers'];
  readonly #onUnauthorized: HttpTransportOptions['onUnauthorized'];
  readonly #clock: Clock;
  readonly #timers: Timers;

  constructor(options: HttpTransportOptions = {}) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#origin = options.origin ?? (() => location.origin);
    this.#allowed = options.allowedOrigins ?? [];
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#headers = options.headers;
    this.#onUnauthorized = options.onUnauthorized;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    const batchTarget = options.batchTarget;
    if (batchTarget !== undefined) this.sendBatch = (ops, ctx) => this.#sendBatch(batchTarget, ops, ctx);
  }

  async send(op: Operation, ctx: SendContext): Promise<SendResult> {
    const url = this.#url(op.target);
    if (typeof url === 'string') return { ok: false, retryable: false, error: url };
    const hasBody = op.method !== 'DELETE';
    const res = await this.#exchange({ url: url.href, method: op.method, key: op.idempotencyKey, op, ...(hasBody && { body: JSON.stringify(op.payload) }) }, ctx.signal);
    if (!(res instanceof Response)) return res;
    return this.#answer(res);
  }

  /**
   * One `POST` to `batchTarget` with `{ ops: [...] }`; the answer's
   * `{ results: [{ status, error?, retryAfter? }] }` gives a result per op, in
   * order. A failed exchange is the first op's failure. An op whose target is
   * not allowed ends the batch before it (it then fails alone, through `send`).
   */
  async #sendBatch(batchTarget: string, ops: readonly Operation[], ctx: SendContext): Promise<SendResult[]> {
    const first = ops[0];
    if (!first) return [];
    const url = this.#url(batchTarget);
    if (typeof url === 'string') return [{ ok: false, retryable: false, error: `batchTarget: ${url}` }];
    const refused = ops.findIndex((op) => typeof this.#url(op.target) === 'string');
    if (refused === 0) return this.send(first, ctx).then((r) => [r]);
    const items: BatchItem[] = (refused === -1 ? ops : ops.slice(0, refused)).map(({ id, kind, target, method, idempotencyKey, payload }) => ({
      id,
      kind,
      target,
      method,
      idempotencyKey,
      payload,
    }));
    const res = await this.#exchange({ url: url.href, method: 'POST', body: JSON.stringify({ ops: items }), op: first }, ctx.signal);
    if (!(res instanceof Response)) return [res];
    if (!(res.status >= 200 && res.status < 300)) return [await this.#answer(res)];
    // The fetch timeout ends with the headers: the body gets a limit of its own.
    const body = await readBody(res, MAX_BATCH_ANSWER_BYTES, this.#timeoutMs);
    if (!body.complete) return [{ ok: false, retryable: true, status: res.status, error: 'batch answer cut short (too large, too slow, or broken off)' }];
    let answer: unknown;
    try {
      answer = JSON.parse(body.text);
    } catch (err) {
      return [{ ok: false, retryable: true, status: res.status, error: `unreadable batch answer: ${message(err)}` }];
    }
    const results = (answer as { results?: unknown } | null)?.results;
    if (!Array.isArray(results)) return [{ ok: false, retryable: true, status: res.status, error: 'batch answer without a results array' }];
    return results.slice(0, items.length).map((r) => this.#itemResult(r));
  }

  /** The target resolved and allow-listed, or why it is refused. */
  #url(target: string): URL | string {
    return targetUrl(target, this.#origin(), this.#allowed);
  }

  /** A response turned into a result, with the server's reason when it refused. */
  async #answer(res: Response): Promise<SendResult> {
    const result = this.#classify(res);
    // The reason a server gives for a refusal is what a user needs to see on a failed op.
    const why = !result.ok && res.status >= 400 ? await errorExcerpt(res) : (discardBody(res), '');
    if (why) result.error = `${result.error}: ${why}`;
    return result;
  }

  /** The exchange, repeated once after `onUnauthorized` refreshed credentials. */
  async #exchange(ex: Exchange, signal: AbortSignal): Promise<Response | SendResult> {
    let res = await this.#request(ex, signal);
    if (res instanceof Response && (res.status === 401 || res.status === 403) && this.#onUnauthorized) {
      let refreshed = false;
      try {
        refreshed = await this.#onUnauthorized(ex.op, res);
      } catch (err) {
        return { ok: false, retryable: false, status: res.status, error: `onUnauthorized failed: ${message(err)}` };
      }
      // Once only: credentials that fail right after a refresh will not get better by themselves.
      if (refreshed) {
        discardBody(res);
        res = await this.#request(ex, signal);
      }
    }
    return res;
  }

  /** One HTTP exchange; resolves with the response, or with the failure when there is none. */
  async #request(ex: Exchange, outer: AbortSignal): Promise<Response | SendResult> {
    let extra: Record<string, string> = {};
    try {
      if (this.#headers) extra = await this.#headers(ex.op);
    } catch (err) {
      return { ok: false, retryable: true, error: `headers hook failed: ${message(err)}` };
    }
    const headers = new Headers(extra);
    if (ex.body !== undefined) headers.set('Content-Type', 'application/json');
    if (ex.key !== undefined) headers.set('Idempotency-Key', ex.key);

    const abort = new AbortController();
    let timedOut = false;
    const timer = this.#timers.setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.#timeoutMs);
    const onOuterAbort = (): void => abort.abort();
    if (outer.aborted) abort.abort();
    else outer.addEventListener('abort', onOuterAbort);
    try {
      const init: RequestInit = {
        method: ex.method,
        headers,
        signal: abort.signal,
        credentials: 'same-origin',
        // A redirect could carry the key and auth headers past the allow-list: refuse to follow it.
        redirect: 'manual',
      };
      if (ex.body !== undefined) init.body = ex.body;
      return await this.#fetch(ex.url, init);
    } catch (err) {
      if (timedOut) return { ok: false, retryable: true, error: `timeout after ${this.#timeoutMs} ms` };
      if (outer.aborted) return { ok: false, retryable: true, error: 'send aborted: the worker stopped' };
      return { ok: false, retryable: true, error: `network error: ${message(err)}` };
    } finally {
      this.#timers.clearTimeout(timer);
      outer.removeEventListener('abort', onOuterAbort);
    }
  }

  #classify(res: Response): SendResult {
    // `redirect: 'manual'` answers redirects with an opaque response of status 0.
    const redirected = res.type === 'opaqueredirect';
    return this.#fromStatus(res.status, res.headers.get('Retry-After'), res.statusText, redirected);
  }

  /** The spec's classification of a status, for a response or for one item of a batch answer. */
  #fromStatus(status: number, retryAfter: string | null, statusText = '', redirected = false): SendResult {
    if (redirected || (status >= 300 && status < 400)) {
      return { ok: false, retryable: false, status, error: 'redirected: Ferry does not follow redirects' };
    }
    if (status >= 200 && status < 300) return { ok: true, status };
    const error = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
    if (!isRetryableStatus(status)) return { ok: false, retryable: false, status, error };
    const result: SendResult = { ok: false, retryable: true, status, error };
    const retryAfterMs = parseRetryAfter(retryAfter, this.#clock.now());
    if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
    return result;
  }

  /** One item of a batch answer: `{ status, error?, retryAfter? }`. */
  #itemResult(raw: unknown): SendResult {
    const item = (typeof raw === 'object' && raw !== null ? raw : {}) as { status?: unknown; error?: unknown; retryAfter?: unknown };
    const status = item.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      return { ok: false, retryable: true, error: 'batch answer item without a valid status' };
    }
    const retryAfter = typeof item.retryAfter === 'number' ? String(item.retryAfter) : typeof item.retryAfter === 'string' ? item.retryAfter : null;
    const result = this.#fromStatus(status, retryAfter);
    if (!result.ok && typeof item.error === 'string' && item.error.trim() !== '') result.error = `${result.error}: ${oneLine(item.error)}`;
    return result;
  }
}

/** A body nobody reads; cancelling it frees the connection sooner. */
function discardBody(res: Response): void {
  if (res.body && !res.bodyUsed) res.body.cancel().catch(() => {});
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
