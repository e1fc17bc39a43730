import type { Clock, Operation, SendContext, SendResult, Timers, Transport } from '@ferry/core';
import { systemClock, systemTimers } from '@ferry/core';
import { targetUrl } from '@ferry/core/internal';
import type { CredentialEntry, CredentialSource } from '../lib/credentials.ts';
import type { Deadline } from '../lib/deadline.ts';
import { deadline } from '../lib/deadline.ts';
import { normalizeOrigins } from '../lib/origins.ts';
import { batchItem, readBatchAnswer } from './batch.ts';
import { defaultClassify, isGateway } from './classify.ts';
import { Judge } from './judge.ts';
import type { FetchLike, HttpTransportOptions } from './options.ts';
import { OriginHealth } from './OriginHealth.ts';
import { Reachability } from './reachability.ts';
import { BadHeader, USER_HEADER, requestHeaders } from './request.ts';
import { discardBody } from './response.ts';
import { Sessions } from './sessions.ts';

export type { FetchLike, HttpTransportOptions, ReachabilityOptions } from './options.ts';

/** How long a send refused with a 401 waits for fresh credentials from a page before its lane is held. */
const REFRESH_WAIT_MS = 5000;

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
 * classification of the spec (`classify`; the package README has the
 * table). With `batchTarget`, also several ops of a lane per request
 * (`sendBatch`). Never throws.
 *
 * It keeps what it saw of each origin: a send that got no answer, or only a
 * gateway's, spends no attempt unless the app behind the same origin
 * answered another request meanwhile or answers a reachability check (then
 * the silence is this op's, and counts); a `Retry-After` on a 429 or 503
 * pauses every lane sending to that origin (`pausedUntil`); a refusal of the
 * session holds every op of its user to that origin (`holds`) until
 * {@link HttpTransport.releaseSessions}.
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
  readonly #health = new OriginHealth();
  readonly #sessions = new Sessions();
  readonly #judge: Judge;
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
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    const classify = options.classify ?? defaultClassify;
    const reach = options.reachability ?? {};
    this.#judge = new Judge({
      classify,
      keepHeaders: (options.keepHeaders ?? []).map((h) => h.toLowerCase()),
      maxAnswerBytes: options.maxAnswerBytes ?? 16 * 1024,
      maxInProgressMs: options.maxInProgressMs ?? 2 * 60 * 1000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60 * 60 * 1000,
      timeoutMs: this.#timeoutMs,
      clock: this.#clock,
      health: this.#health,
      sessions: this.#sessions,
      reach:
        reach === false
          ? undefined
          : new Reachability(reach, {
              fetch: () => this.#fetch,
              clock: this.#clock,
              timers: this.#timers,
              isGateway: (s) => isGateway(classify, s),
            }),
    });
    const batchTarget = options.batchTarget;
    this.#batchTarget = batchTarget;
    if (batchTarget !== undefined) {
      this.sendBatch = (ops, ctx) => this.#withDeadline(ctx, (d) => this.#sendBatch(batchTarget, ops, d));
    }
  }

  send(op: Operation, ctx: SendContext): Promise<SendResult> {
    return this.#withDeadline(ctx, async (d) => {
      const url = this.#url(op.target);
      if (typeof url === 'string') return { ok: false, retryable: false, error: url };
      const startedAt = this.#clock.now();
      const body = op.method === 'DELETE' ? {} : { body: JSON.stringify(op.payload) };
      const res = await this.#exchange({ url, method: op.method, key: op.idempotencyKey, op, ...body }, d);
      if (!(res instanceof Response)) return res;
      return this.#judge.answer(res, { origin: url.origin, keyed: true, op, startedAt }, d);
    });
  }

  /**
   * When `op` may be sent, if its origin (or the batch endpoint's) asked for
   * a pause that still runs at `now`. The SyncWorker defers such lanes.
   */
  pausedUntil(op: Operation, now: number): number | undefined {
    const until = Math.max(...this.#origins(op).map((o) => this.#health.pausedUntil(o, now) ?? -Infinity));
    return until > now ? until : undefined;
  }

  /**
   * Why `op` must wait for a release: its user has no usable credentials for
   * its origin (the pages are asked), or the session of its user (or of ops
   * without a user) on its origin was refused (a reason starting with
   * `needs-auth`, until {@link releaseSessions}).
   */
  holds(op: Operation): string | undefined {
    const user = op.user;
    const url = this.#url(op.target);
    if (typeof url === 'string') return undefined;
    const source = this.#credentials;
    if (user !== undefined && source && !source.get(user, url.origin)) return waitingFor(user, url.origin);
    for (const origin of this.#origins(op)) {
      const reason = this.#sessions.reason(user, origin);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  /**
   * Releases the session holds of the users `match` picks (undefined: ops
   * without a user), on every origin: their ops may be sent again (release
   * their held heads in the Outbox too). Returns the ids of ops that the
   * first of the refusals failed (a 403 read as the op's own until a second
   * one showed it was the session's): retry them to bring them back.
   */
  releaseSessions(match: (user: string | undefined) => boolean): string[] {
    return this.#sessions.release(match);
  }

  /** The origins `op` is sent to: its target's, and the batch endpoint's. */
  #origins(op: Operation): string[] {
    return [op.target, ...(this.#batchTarget === undefined ? [] : [this.#batchTarget])].flatMap((t) => {
      const url = this.#url(t);
      return typeof url === 'string' ? [] : [url.origin];
    });
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
    const sent = refused === -1 ? ops : ops.slice(0, refused);
    const startedAt = this.#clock.now();
    const body = JSON.stringify({ ops: sent.map(batchItem) });
    const res = await this.#exchange({ url, method: 'POST', body, op: first }, d);
    if (!(res instanceof Response)) return [res];
    const asked = { origin: url.origin, op: first, startedAt };
    // The batch request carries no key of its own (each item does), so a 409 to it is not "in progress".
    if (!(res.status >= 200 && res.status < 300)) return [await this.#judge.answer(res, { ...asked, keyed: false }, d)];
    this.#health.answered(url.origin, this.#clock.now());
    const items = await readBatchAnswer(res, d);
    if (!Array.isArray(items)) return [items];
    const results: SendResult[] = [];
    // In order: a 403 to one item is what makes a 403 to the next one the session's.
    for (const [i, item] of items.slice(0, sent.length).entries())
      results.push(await this.#judge.item(item, { ...asked, keyed: true, op: sent[i] ?? first }, d));
    return results;
  }

  /** The target resolved and allow-listed, or why it is refused. */
  #url(target: string): URL | string {
    return targetUrl(target, this.#origin(), this.#allowed);
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
        if (d.signal.aborted) return this.#judge.silence(ex.url.origin, d, this.#clock.now());
        return refreshFailed(res.status, err);
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
      // A refusal of the credentials is the app's own answer: the origin is up.
      this.#health.answered(origin, this.#clock.now());
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
    if (d.signal.aborted) return this.#judge.silence(origin, d, startedAt);
    let headers: Headers;
    try {
      const hook = this.#headers;
      const extra = hook ? await d.race(() => hook(ex.op, { signal: d.signal })) : {};
      // The user's own credentials win over whatever the hook returned.
      headers = requestHeaders(extra, creds);
    } catch (err) {
      if (d.signal.aborted) return this.#judge.silence(origin, d, startedAt);
      // Nothing went out, as when there is no answer: the op is not at fault, and spends nothing.
      const error = err instanceof BadHeader ? `headers hook: ${err.message}` : `headers hook failed: ${message(err)}`;
      return { ok: false, retryable: true, free: true, error };
    }
    if (ex.body !== undefined) headers.set('Content-Type', 'application/json');
    if (ex.key !== undefined) headers.set('Idempotency-Key', ex.key);
    // Whose op this is (a batch's ops share a lane, so a user): a server compares it with its session's user.
    if (ex.op.user !== undefined) headers.set(USER_HEADER, encodeURIComponent(ex.op.user));
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
      return await this.#fetch(ex.url.href, init);
    } catch (err) {
      return this.#judge.silence(origin, d, startedAt, err);
    }
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
  const refused = free ? 'credentials refused' : 'credentials refused again after new ones';
  const error = status === undefined ? why : `HTTP ${status}: ${refused}; ${why}`;
  const result: SendResult = { ok: false, retryable: true, hold: why, error, ...(free && { free: true }) };
  if (status !== undefined) result.status = status;
  return result;
}

/** `onUnauthorized` threw (a refresh that failed for a moment): retried later, spending nothing. */
function refreshFailed(status: number, err: unknown): SendResult {
  return { ok: false, retryable: true, free: true, status, error: `onUnauthorized failed: ${message(err)}` };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
