import type { Clock, JsonValue, Operation, SendContext, SendResult, ServerAnswer, Timers, Transport } from '@ferry/core';
import { systemClock, systemTimers, targetUrl } from '@ferry/core';
import { errorExcerpt, oneLine } from './lib/errorExcerpt.ts';
import type { Classify } from './lib/classify.ts';
import type { CredentialEntry, CredentialSource } from './lib/credentials.ts';
import type { AllowedOriginEntry } from './lib/origins.ts';
import { normalizeOrigins } from './lib/origins.ts';
import { defaultClassify } from './lib/classify.ts';
import type { Deadline } from './lib/deadline.ts';
import { deadline } from './lib/deadline.ts';
import { OriginHealth } from './lib/OriginHealth.ts';
import { readBody } from './lib/readBody.ts';
import { parseRetryAfter } from './lib/retryAfter.ts';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpTransportOptions {
  /** @default the global `fetch`, read at send time */
  fetch?: FetchLike;
  /** Relative targets resolve against it, and absolute ones on it are allowed. @default `location.origin`, read at send time */
  origin?: () => string;
  /**
   * Further origins absolute targets may point at, e.g. `https://api.example`,
   * or `{ origin, credentials: 'include' }` for an API that needs the
   * browser's cookies. Each is normalised (`new URL(o).origin`); an entry
   * that is not an origin throws `invalid-config`. @default []
   */
  allowedOrigins?: readonly AllowedOriginEntry[];
  /**
   * Where the credentials of an op's `user` come from (the host passes the
   * ones the pages handed over). An op with a user is sent only with them;
   * without any it is held, spending nothing.
   */
  credentials?: CredentialSource;
  /**
   * Statuses that mean "these credentials are not (or no longer) good": the
   * user's credentials are dropped and the pages asked for new ones, waited
   * for within the send's time, and the send repeated once with them (no
   * attempt spent); with none in time the op is held until they come. Also
   * when `onUnauthorized` is called. A 403 is not in it by default: it says
   * the user may not do this, and fails the op. @default [401]
   */
  refreshOn?: readonly number[];
  /**
   * The whole send must be over by then, hooks and a refresh included: the
   * `headers` and `onUnauthorized` hooks, the request, and a batch answer's
   * body. Past it the send is aborted and retried later. @default 15000
   */
  timeoutMs?: number;
  /**
   * Extra request headers, usually `Authorization`, asked for at every send,
   * under the send's timeout (`signal` aborts with it). What it returns is
   * never stored with the op. Whatever it throws, and a header value that is
   * not valid, is a retryable failure with the reason in `lastError`.
   */
  headers?: (op: Operation, ctx: SendContext) => Promise<Record<string, string>> | Record<string, string>;
  /**
   * For ops without a user: called on a status in `refreshOn` (a 401), under
   * the send's timeout. Resolve true after refreshing credentials: the send
   * is repeated once at once (no attempt spent). A second refusal, or false,
   * makes the op fail permanently; a hook that throws (a refresh that failed
   * for a moment) is a retryable failure that spends no attempt.
   */
  onUnauthorized?: (op: Operation, response: Response, ctx: SendContext) => Promise<boolean>;
  /**
   * Reads a status (see {@link defaultClassify}, the default): `ok`,
   * `retryable`, `in-progress` (409 to a keyed request: retried after its
   * `Retry-After`, or a second, spending no attempt) or `permanent`.
   */
  classify?: Classify;
  /**
   * Response headers kept with a done op's answer (`op.answer.headers`), e.g.
   * `['Location', 'ETag']`. @default [] (status and body only)
   */
  keepHeaders?: readonly string[];
  /**
   * The largest success body kept with a done op (`op.answer.body`: parsed
   * JSON, or text): a larger one is not kept (`truncated`). Bodies that are
   * neither JSON nor text are not kept. @default 16384
   */
  maxAnswerBytes?: number;
  /** The longest pause a `Retry-After` can impose on an origin. @default 3600000 (one hour) */
  maxRetryAfterMs?: number;
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
/** How long a send refused with a 401 waits for fresh credentials from a page before its lane is held. */
const REFRESH_WAIT_MS = 5000;
/** A 409 "still in progress" without `Retry-After` is tried again after this long. */
const IN_PROGRESS_RETRY_MS = 1000;

/** What goes on the wire for one op of a batch: the op's intent, none of its bookkeeping. */
type BatchItem = Pick<Operation, 'id' | 'kind' | 'target' | 'method' | 'idempotencyKey' | 'payload'>;

/** An exchange to make: what differs between a single send and a batch. */
interface Exchange {
  url: URL;
  method: Operation['method'];
  body?: string;
  /** `Idempotency-Key`: the op's own on a single send; none on a batch (each item carries its key). */
  key?: string;
  /** Given to the `headers` and `onUnauthorized` hooks. */
  op: Operation;
}

/**
 * Delivers ops over HTTP: one request per op, `Idempotency-Key` from the op,
 * JSON body from its payload, one timeout over the whole send, and the
 * status classification of the spec (`classify`). With `batchTarget`, also
 * several ops of a lane per request (`sendBatch`). Never throws.
 *
 * It keeps what it saw of each origin: a send that got no answer spends no
 * attempt unless the same origin answered another request meanwhile (then
 * the silence is this op's, and counts), and a `Retry-After` on a 429 or 503
 * pauses every lane sending to that origin (`heldUntil`).
 */
export class HttpTransport implements Transport {
  readonly sendBatch?: (ops: readonly Operation[], ctx: SendContext) => Promise<SendResult[]>;
  readonly #fetch: FetchLike;
  readonly #origin: () => string;
  readonly #allowed: readonly string[];
  readonly #modes: ReadonlyMap<string, RequestCredentials>;
  readonly #credentials: CredentialSource | undefined;
  readonly #refreshOn: readonly number[];
  readonly #timeoutMs: number;
  readonly #headers: HttpTransportOptions['headers'];
  readonly #onUnauthorized: HttpTransportOptions['onUnauthorized'];
  readonly #classify: Classify;
  readonly #maxRetryAfterMs: number;
  readonly #keepHeaders: readonly string[];
  readonly #maxAnswerBytes: number;
  readonly #health = new OriginHealth();
  readonly #batchTarget: string | undefined;
  readonly #clock: Clock;
  readonly #timers: Timers;

  constructor(options: HttpTransportOptions = {}) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#origin = options.origin ?? (() => location.origin);
    const origins = normalizeOrigins(options.allowedOrigins);
    this.#allowed = origins.list;
    this.#modes = origins.credentials;
    this.#credentials = options.credentials;
    this.#refreshOn = options.refreshOn ?? [401];
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#headers = options.headers;
    this.#onUnauthorized = options.onUnauthorized;
    this.#classify = options.classify ?? defaultClassify;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60 * 60 * 1000;
    this.#keepHeaders = (options.keepHeaders ?? []).map((h) => h.toLowerCase());
    this.#maxAnswerBytes = options.maxAnswerBytes ?? 16 * 1024;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    const batchTarget = options.batchTarget;
    this.#batchTarget = batchTarget;
    if (batchTarget !== undefined) this.sendBatch = (ops, ctx) => this.#withDeadline(ctx, (d) => this.#sendBatch(batchTarget, ops, d));
  }

  send(op: Operation, ctx: SendContext): Promise<SendResult> {
    return this.#withDeadline(ctx, async (d) => {
      const url = this.#url(op.target);
      if (typeof url === 'string') return { ok: false, retryable: false, error: url };
      const hasBody = op.method !== 'DELETE';
      const res = await this.#exchange({ url, method: op.method, key: op.idempotencyKey, op, ...(hasBody && { body: JSON.stringify(op.payload) }) }, d);
      if (!(res instanceof Response)) return res;
      return this.#answer(res, url.origin, true, d);
    });
  }

  /**
   * When `op` may be sent, if its origin (or the batch endpoint's) asked for
   * a pause that still runs at `now`. The SyncWorker defers such lanes.
   */
  heldUntil(op: Operation, now: number): number | undefined {
    const origins = [op.target, ...(this.#batchTarget === undefined ? [] : [this.#batchTarget])].flatMap((t) => {
      const url = this.#url(t);
      return typeof url === 'string' ? [] : [url.origin];
    });
    const until = Math.max(...origins.map((o) => this.#health.pausedUntil(o, now) ?? -Infinity));
    return until > now ? until : undefined;
  }

  /** Why `op` must wait for a release: it has a user with no usable credentials for its origin (the pages are asked). */
  holds(op: Operation): string | undefined {
    const user = op.user;
    if (user === undefined || !this.#credentials) return undefined;
    const url = this.#url(op.target);
    if (typeof url === 'string') return undefined;
    return this.#credentials.get(user, url.origin) ? undefined : waitingFor(user, url.origin);
  }

  /** Runs a send under one deadline: the send's timeout, or its signal (lease end, stop), whichever comes first. */
  async #withDeadline<T>(ctx: SendContext, fn: (d: Deadline) => Promise<T>): Promise<T> {
    const d = deadline(ctx.signal, this.#timeoutMs, this.#timers, this.#clock);
    try {
      return await fn(d);
    } finally {
      d.dispose();
    }
  }

  /**
   * One `POST` to `batchTarget` with `{ ops: [...] }`; the answer's
   * `{ results: [{ status, error?, retryAfter? }] }` gives a result per op, in
   * order. A failed exchange is the first op's failure. An op whose target is
   * not allowed ends the batch before it (it then fails alone, through `send`).
   */
  async #sendBatch(batchTarget: string, ops: readonly Operation[], d: Deadline): Promise<SendResult[]> {
    const first = ops[0];
    if (!first) return [];
    const url = this.#url(batchTarget);
    if (typeof url === 'string') return [{ ok: false, retryable: false, error: `batchTarget: ${url}` }];
    const refused = ops.findIndex((op) => typeof this.#url(op.target) === 'string');
    if (refused === 0) return [{ ok: false, retryable: false, error: this.#url(first.target) as string }];
    const items: BatchItem[] = (refused === -1 ? ops : ops.slice(0, refused)).map(({ id, kind, target, method, idempotencyKey, payload }) => ({
      id,
      kind,
      target,
      method,
      idempotencyKey,
      payload,
    }));
    const res = await this.#exchange({ url, method: 'POST', body: JSON.stringify({ ops: items }), op: first }, d);
    if (!(res instanceof Response)) return [res];
    // The batch request carries no key of its own (each item does), so a 409 to it is not "in progress".
    if (!(res.status >= 200 && res.status < 300)) return [await this.#answer(res, url.origin, false, d)];
    // The body is read within what is left of the send's deadline.
    const body = await readBody(res, MAX_BATCH_ANSWER_BYTES, Math.max(0, d.remaining()));
    if (!body.complete) return [{ ok: false, retryable: true, status: res.status, error: 'batch answer cut short (too large, too slow, or broken off)' }];
    let answer: unknown;
    try {
      answer = JSON.parse(body.text);
    } catch (err) {
      return [{ ok: false, retryable: true, status: res.status, error: `unreadable batch answer: ${message(err)}` }];
    }
    const results = (answer as { results?: unknown } | null)?.results;
    if (!Array.isArray(results)) return [{ ok: false, retryable: true, status: res.status, error: 'batch answer without a results array' }];
    return results.slice(0, items.length).map((r) => this.#itemResult(r, url.origin));
  }

  /** The target resolved and allow-listed, or why it is refused. */
  #url(target: string): URL | string {
    return targetUrl(target, this.#origin(), this.#allowed);
  }

  /** A response turned into a result, with the server's reason when it refused. */
  async #answer(res: Response, origin: string, keyed: boolean, d: Deadline): Promise<SendResult> {
    // `redirect: 'manual'` answers redirects with an opaque response of status 0.
    const redirected = res.type === 'opaqueredirect';
    const result = this.#fromStatus(res.status, res.headers.get('Retry-After'), origin, keyed, res.statusText, redirected);
    if (result.ok) {
      result.answer = await this.#kept(res, d);
      return result;
    }
    // The reason a server gives for a refusal is what a user needs to see on a failed op.
    const why = !result.ok && res.status >= 400 ? await errorExcerpt(res) : (discardBody(res), '');
    if (why) result.error = `${result.error}: ${why}`;
    return result;
  }

  /** What a success said, as kept with the done op: its status, its body within the cap, the headers the app named. */
  async #kept(res: Response, d: Deadline): Promise<ServerAnswer> {
    const answer: ServerAnswer = { status: res.status };
    const headers: Record<string, string> = {};
    for (const name of this.#keepHeaders) {
      const value = res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    if (Object.keys(headers).length > 0) answer.headers = headers;
    const type = res.headers.get('Content-Type') ?? '';
    const json = /\bjson\b/i.test(type);
    if (!json && !/^text\//i.test(type)) {
      discardBody(res);
      return answer;
    }
    // Within what is left of the send's time: the status already said it is done.
    const body = await readBody(res, this.#maxAnswerBytes, Math.max(0, d.remaining()));
    if (!body.complete) answer.truncated = true;
    else if (body.text !== '') {
      try {
        answer.body = json ? (JSON.parse(body.text) as JsonValue) : body.text;
      } catch {
        answer.body = body.text;
      }
    }
    return answer;
  }

  /**
   * The exchange. An op with a user goes with that user's credentials only
   * (held without them); a refusal (`refreshOn`) drops them, waits for new
   * ones from a page and repeats once. An op without a user goes with the
   * `headers` hook, repeated once after `onUnauthorized` refreshed.
   */
  async #exchange(ex: Exchange, d: Deadline): Promise<Response | SendResult> {
    const user = ex.op.user;
    const source = this.#credentials;
    if (user !== undefined && source) return this.#exchangeAs(user, source, ex, d);
    let res = await this.#request(ex, d, undefined);
    if (res instanceof Response && this.#refreshOn.includes(res.status) && this.#onUnauthorized) {
      let refreshed: boolean;
      try {
        const hook = this.#onUnauthorized;
        refreshed = await d.race(() => hook(ex.op, res as Response, { signal: d.signal }));
      } catch (err) {
        discardBody(res);
        return d.signal.aborted
          ? this.#silence(ex.url.origin, d, this.#clock.now())
          : { ok: false, retryable: true, free: true, status: res.status, error: `onUnauthorized failed: ${message(err)}` };
      }
      // Once only: credentials that fail right after a refresh will not get better by themselves.
      if (refreshed) {
        discardBody(res);
        res = await this.#request(ex, d, undefined);
      }
    }
    return res;
  }

  async #exchangeAs(user: string, source: CredentialSource, ex: Exchange, d: Deadline): Promise<Response | SendResult> {
    const origin = ex.url.origin;
    let creds = source.get(user, origin);
    if (!creds) return held(user, origin, undefined, true);
    let res = await this.#request(ex, d, creds);
    for (let refusals = 0; res instanceof Response && this.#refreshOn.includes(res.status); refusals++) {
      discardBody(res);
      source.refuse(creds);
      const status = res.status;
      // Refused again right after a refresh: the page's credentials do not work; that counts.
      if (refusals > 0 || creds.afterRefusal) return held(user, origin, status, false);
      // A page's refresh takes a second or two; past that the lane is held rather than its slot.
      const fresh = await source.waitFor(user, origin, d.signal, Math.min(d.remaining(), REFRESH_WAIT_MS));
      if (!fresh) return held(user, origin, status, true);
      creds = fresh;
      res = await this.#request(ex, d, creds);
    }
    if (res instanceof Response && res.status >= 200 && res.status < 300) source.accepted(creds);
    return res;
  }

  /** One HTTP exchange; resolves with the response, or with the failure when there is none. */
  async #request(ex: Exchange, d: Deadline, creds: CredentialEntry | undefined): Promise<Response | SendResult> {
    const startedAt = this.#clock.now();
    const origin = ex.url.origin;
    // Nothing goes on the wire once the lease ended, the worker stopped or the time is up.
    if (d.signal.aborted) return this.#silence(origin, d, startedAt);
    let headers: Headers;
    try {
      const hook = this.#headers;
      const extra = hook ? await d.race(() => hook(ex.op, { signal: d.signal })) : {};
      headers = new Headers(extra);
      // The user's own credentials win over whatever the hook returned.
      if (creds) for (const [name, value] of Object.entries(creds.headers)) headers.set(name, value);
    } catch (err) {
      if (d.signal.aborted) return this.#silence(origin, d, startedAt);
      return { ok: false, retryable: true, error: `headers hook failed: ${message(err)}` };
    }
    if (ex.body !== undefined) headers.set('Content-Type', 'application/json');
    if (ex.key !== undefined) headers.set('Idempotency-Key', ex.key);
    try {
      const init: RequestInit = {
        method: ex.method,
        headers,
        signal: d.signal,
        credentials: this.#modes.get(origin) ?? 'same-origin',
        // A redirect could carry the key and auth headers past the allow-list: refuse to follow it.
        redirect: 'manual',
      };
      if (ex.body !== undefined) init.body = ex.body;
      const res = await this.#fetch(ex.url.href, init);
      this.#health.answered(origin, this.#clock.now());
      return res;
    } catch (err) {
      return this.#silence(origin, d, startedAt, err);
    }
  }

  /**
   * A send that got no HTTP answer. It spends no attempt unless `origin`
   * answered another request since this one started: then the origin was
   * reachable, and the silence (a hang, a reset) is this op's own.
   */
  #silence(origin: string, d: Deadline, startedAt: number, err?: unknown): SendResult {
    const error = d.timedOut
      ? `timeout after ${this.#timeoutMs} ms`
      : d.outerAborted
        ? 'send aborted: the lease ended or the worker stopped'
        : `network error: ${message(err)}`;
    const counted = this.#health.answeredSince(origin, startedAt);
    return {
      ok: false,
      retryable: true,
      unanswered: true,
      ...(!counted && { free: true }),
      error: counted ? `${error} (while ${origin} answered other requests)` : error,
    };
  }

  /** The classification of a status, for a response or for one item of a batch answer. */
  #fromStatus(status: number, retryAfter: string | null, origin: string, keyed: boolean, statusText = '', redirected = false): SendResult {
    if (redirected || (status >= 300 && status < 400)) {
      return { ok: false, retryable: false, status, error: 'redirected: Ferry does not follow redirects' };
    }
    const verdict = this.#classify(status, { idempotencyKey: keyed });
    if (verdict === 'ok') return { ok: true, status };
    const error = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
    if (verdict === 'permanent') return { ok: false, retryable: false, status, error };
    const now = this.#clock.now();
    const parsed = parseRetryAfter(retryAfter, now);
    const retryAfterMs = parsed === undefined ? undefined : Math.min(parsed, this.#maxRetryAfterMs);
    if (verdict === 'in-progress') {
      return {
        ok: false,
        retryable: true,
        free: true,
        status,
        retryAfterMs: retryAfterMs ?? IN_PROGRESS_RETRY_MS,
        error: `${error}: the first request with this key is still running`,
      };
    }
    // The origin asked to be left alone: every lane sending to it waits (see heldUntil).
    if (retryAfterMs !== undefined && (status === 429 || status === 503)) this.#health.pause(origin, now + retryAfterMs);
    return { ok: false, retryable: true, status, error, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }

  /** One item of a batch answer: `{ status, error?, retryAfter? }`. Each item carried its own key. */
  #itemResult(raw: unknown, origin: string): SendResult {
    const item = (typeof raw === 'object' && raw !== null ? raw : {}) as { status?: unknown; error?: unknown; retryAfter?: unknown; body?: unknown };
    const status = item.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      return { ok: false, retryable: true, error: 'batch answer item without a valid status' };
    }
    const retryAfter = typeof item.retryAfter === 'number' ? String(item.retryAfter) : typeof item.retryAfter === 'string' ? item.retryAfter : null;
    const result = this.#fromStatus(status, retryAfter, origin, true);
    // Each item's own answer: its status, and its body when the server gave one (JSON, within the batch answer's cap).
    if (result.ok) result.answer = { status, ...(item.body !== undefined && { body: item.body as JsonValue }) };
    if (!result.ok && typeof item.error === 'string' && item.error.trim() !== '') result.error = `${result.error}: ${oneLine(item.error)}`;
    return result;
  }
}

function waitingFor(user: string, origin: string): string {
  return `waiting for credentials of user ${JSON.stringify(user)} for ${origin}`;
}

/**
 * An op held for its user's credentials: none yet (free), refused and no new
 * ones in time (free), or refused again right after new ones (an attempt).
 */
function held(user: string, origin: string, status: number | undefined, free: boolean): SendResult {
  const why = waitingFor(user, origin);
  const error = status === undefined ? why : `HTTP ${status}: ${free ? 'credentials refused' : 'credentials refused again after new ones'}; ${why}`;
  return { ok: false, retryable: true, hold: why, error, ...(free && { free: true }), ...(status !== undefined && { status }) };
}

/** A body nobody reads; cancelling it frees the connection sooner. */
function discardBody(res: Response): void {
  if (res.body && !res.bodyUsed) res.body.cancel().catch(() => {});
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
