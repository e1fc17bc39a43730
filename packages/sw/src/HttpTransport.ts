import type { Clock, Operation, SendContext, SendResult, Timers, Transport } from '@ferry/core';
import { systemClock, systemTimers } from '@ferry/core';
import { errorExcerpt } from './lib/errorExcerpt.ts';
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
  clock?: Clock;
  timers?: Timers;
}

/** Statuses worth another try later (SPEC, SyncWorker). */
const isRetryableStatus = (s: number): boolean => s === 408 || s === 425 || s === 429 || s >= 500;

/**
 * Delivers ops over HTTP: one request per op, `Idempotency-Key` from the op,
 * JSON body from its payload, a timeout, and the status classification of
 * the spec (network error, timeout, 408, 425, 429, 5xx → retryable; other
 * 4xx and 3xx → permanent). Never throws.
 */
export class HttpTransport implements Transport {
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
  }

  async send(op: Operation, ctx: SendContext): Promise<SendResult> {
    const url = targetUrl(op.target, this.#origin(), this.#allowed);
    if (typeof url === 'string') return { ok: false, retryable: false, error: url };
    let res = await this.#request(url.href, op, ctx.signal);
    if (res instanceof Response && (res.status === 401 || res.status === 403) && this.#onUnauthorized) {
      let refreshed = false;
      try {
        refreshed = await this.#onUnauthorized(op, res);
      } catch (err) {
        return { ok: false, retryable: false, status: res.status, error: `onUnauthorized failed: ${message(err)}` };
      }
      // Once only: credentials that fail right after a refresh will not get better by themselves.
      if (refreshed) {
        discardBody(res);
        res = await this.#request(url.href, op, ctx.signal);
      }
    }
    if (!(res instanceof Response)) return res;
    const result = this.#classify(res);
    // The reason a server gives for a refusal is what a user needs to see on a failed op.
    const why = !result.ok && res.status >= 400 ? await errorExcerpt(res) : (discardBody(res), '');
    if (why) result.error = `${result.error}: ${why}`;
    return result;
  }

  /** One HTTP exchange; resolves with the response, or with the failure when there is none. */
  async #request(url: string, op: Operation, outer: AbortSignal): Promise<Response | SendResult> {
    let extra: Record<string, string> = {};
    try {
      if (this.#headers) extra = await this.#headers(op);
    } catch (err) {
      return { ok: false, retryable: true, error: `headers hook failed: ${message(err)}` };
    }
    const hasBody = op.method !== 'DELETE';
    const headers = new Headers(extra);
    if (hasBody) headers.set('Content-Type', 'application/json');
    headers.set('Idempotency-Key', op.idempotencyKey);

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
        method: op.method,
        headers,
        signal: abort.signal,
        credentials: 'same-origin',
        // A redirect could carry the key and auth headers past the allow-list: refuse to follow it.
        redirect: 'manual',
      };
      if (hasBody) init.body = JSON.stringify(op.payload);
      return await this.#fetch(url, init);
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
    const status = res.status;
    if (status >= 200 && status < 300) return { ok: true, status };
    // `redirect: 'manual'` answers redirects with an opaque response of status 0.
    if (res.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
      return { ok: false, retryable: false, status, error: 'redirected: Ferry does not follow redirects' };
    }
    const error = `HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (!isRetryableStatus(status)) return { ok: false, retryable: false, status, error };
    const result: SendResult = { ok: false, retryable: true, status, error };
    const retryAfterMs = parseRetryAfter(res.headers.get('Retry-After'), this.#clock.now());
    if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
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
