import type { Clock, JsonValue, Operation, SendContext, SendResult, ServerAnswer, Timers, Transport } from '@ferry/core';
import { systemClock, systemTimers, targetUrl } from '@ferry/core';
import type { CredentialEntry, CredentialSource } from '../lib/credentials.ts';
import type { Deadline } from '../lib/deadline.ts';
import { deadline } from '../lib/deadline.ts';
import { oneLine, reasonOf } from '../lib/errorExcerpt.ts';
import { normalizeOrigins } from '../lib/origins.ts';
import { parseRetryAfter } from '../lib/retryAfter.ts';
import type { RawItem } from './batch.ts';
import { batchItem, itemRetryAfter, readBatchAnswer } from './batch.ts';
import type { Classify } from './classify.ts';
import { defaultClassify, isUserMismatch } from './classify.ts';
import type { FetchLike, HttpTransportOptions } from './options.ts';
import { OriginHealth } from './OriginHealth.ts';
import { Reachability } from './reachability.ts';
import { BadHeader, requestHeaders } from './request.ts';
import { discardBody, readAnswer } from './response.ts';
import { NEEDS_AUTH, Sessions } from './sessions.ts';

export type { FetchLike, HttpTransportOptions, ReachabilityOptions } from './options.ts';

/** How long a send refused with a 401 waits for fresh credentials from a page before its lane is held. */
const REFRESH_WAIT_MS = 5000;
/** The longest a refusal's body is read for its reason and answer. */
const REFUSAL_READ_MS = 1000;
/** A 409 "still in progress" without `Retry-After` is tried again after this long. */
const IN_PROGRESS_RETRY_MS = 1000;

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

/** Where an answer came from: the send it answers. */
interface Asked {
  origin: string;
  /** Whether the request carried an `Idempotency-Key`. */
  keyed: boolean;
  op: Operation;
  startedAt: number;
}

/** An answer to judge: a response's, or a batch item's. */
interface Seen extends Asked {
  status: number;
  statusText: string;
  retryAfter: string | null;
  answer: ServerAnswer | undefined;
  redirected: boolean;
  /** A reason given besides the body (a batch item's `error`). */
  reason: string;
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
 * pauses every lane sending to that origin (`heldUntil`); a refusal of the
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
  readonly #classify: Classify;
  readonly #maxInProgressMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #keepHeaders: readonly string[];
  readonly #maxAnswerBytes: number;
  readonly #health = new OriginHealth();
  readonly #sessions = new Sessions();
  readonly #reach: Reachability | undefined;
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
    this.#maxInProgressMs = options.maxInProgressMs ?? 2 * 60 * 1000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60 * 60 * 1000;
    this.#keepHeaders = (options.keepHeaders ?? []).map((h) => h.toLowerCase());
    this.#maxAnswerBytes = options.maxAnswerBytes ?? 16 * 1024;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    const reach = options.reachability ?? {};
    this.#reach =
      reach === false
        ? undefined
        : new Reachability(
            reach,
            () => this.#fetch,
            this.#clock,
            this.#timers,
            (s) => this.#isGateway(s),
          );
    const batchTarget = options.batchTarget;
    this.#batchTarget = batchTarget;
    if (batchTarget !== undefined) this.sendBatch = (ops, ctx) => this.#withDeadline(ctx, (d) => this.#sendBatch(batchTarget, ops, d));
  }

  send(op: Operation, ctx: SendContext): Promise<SendResult> {
    return this.#withDeadline(ctx, async (d) => {
      const url = this.#url(op.target);
      if (typeof url === 'string') return { ok: false, retryable: false, error: url };
      const startedAt = this.#clock.now();
      const body = op.method === 'DELETE' ? {} : { body: JSON.stringify(op.payload) };
      const res = await this.#exchange({ url, method: op.method, key: op.idempotencyKey, op, ...body }, d);
      if (!(res instanceof Response)) return res;
      return this.#answer(res, { origin: url.origin, keyed: true, op, startedAt }, d);
    });
  }

  /**
   * When `op` may be sent, if its origin (or the batch endpoint's) asked for
   * a pause that still runs at `now`. The SyncWorker defers such lanes.
   */
  heldUntil(op: Operation, now: number): number | undefined {
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
    if (user !== undefined && this.#credentials && !this.#credentials.get(user, url.origin)) return waitingFor(user, url.origin);
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
    const res = await this.#exchange({ url, method: 'POST', body: JSON.stringify({ ops: sent.map(batchItem) }), op: first }, d);
    if (!(res instanceof Response)) return [res];
    const asked = { origin: url.origin, op: first, startedAt };
    // The batch request carries no key of its own (each item does), so a 409 to it is not "in progress".
    if (!(res.status >= 200 && res.status < 300)) return [await this.#answer(res, { ...asked, keyed: false }, d)];
    this.#health.answered(url.origin, this.#clock.now());
    const items = await readBatchAnswer(res, d);
    if (!Array.isArray(items)) return [items];
    const results: SendResult[] = [];
    // In order: a 403 to one item is what makes a 403 to the next one the session's.
    for (const [i, item] of items.slice(0, sent.length).entries())
      results.push(await this.#itemResult(item, { ...asked, keyed: true, op: sent[i] ?? first }, d));
    return results;
  }

  /** The target resolved and allow-listed, or why it is refused. */
  #url(target: string): URL | string {
    return targetUrl(target, this.#origin(), this.#allowed);
  }

  /** A response turned into a result; the body of a success or a refusal is read (within the cap) and kept. */
  async #answer(res: Response, asked: Asked, d: Deadline): Promise<SendResult> {
    // `redirect: 'manual'` answers redirects with an opaque response of status 0.
    const redirected = res.type === 'opaqueredirect';
    const status = res.status;
    const refusal = status >= 400;
    const unread = redirected || !(refusal || (status >= 200 && status < 300));
    // A refusal's body is read within a second at most: its reason must not stall the worker.
    const timeoutMs = refusal ? Math.min(d.remaining(), REFUSAL_READ_MS) : d.remaining();
    const read = unread ? discardBody(res) : await readAnswer(res, this.#keepHeaders, this.#maxAnswerBytes, timeoutMs, refusal);
    const retryAfter = res.headers.get('Retry-After');
    const reason = read && read.answer.body === undefined ? reasonOf(read.text) : '';
    return this.#judge({ ...asked, status, statusText: res.statusText, retryAfter, answer: read?.answer, redirected, reason }, d);
  }

  /** One item of a batch answer: `{ status, error?, retryAfter?, body? }`. Each item carried its own key. */
  #itemResult(item: RawItem, asked: Asked, d: Deadline): Promise<SendResult> | SendResult {
    const status = item.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      return { ok: false, retryable: true, error: 'batch answer item without a valid status' };
    }
    const answer: ServerAnswer = { status, ...(item.body !== undefined && { body: item.body as JsonValue }) };
    const reason = typeof item.error === 'string' ? oneLine(item.error) : '';
    return this.#judge({ ...asked, status, statusText: '', retryAfter: itemRetryAfter(item), answer, redirected: false, reason }, d);
  }

  /** What an answer makes of the send, by the verdict of `classify`. */
  async #judge(s: Seen, d: Deadline): Promise<SendResult> {
    const now = this.#clock.now();
    const { status, origin, op } = s;
    const earlier403 = status === 403 ? this.#sessions.recentForbidden(op.user, origin, op.id, now) : undefined;
    const verdict = this.#classify(status, {
      idempotencyKey: s.keyed,
      retryAfter: s.retryAfter !== null,
      body: s.answer?.body,
      redirected: s.redirected,
      repeated: earlier403 !== undefined,
    });
    // Any answer but a gateway's shows the app behind the origin is up.
    if (verdict !== 'gateway') this.#health.answered(origin, now);
    if (status === 403) this.#sessions.forbidden(op.user, origin, op.id, now, verdict === 'permanent');
    const label = s.redirected ? 'redirected (opaque redirect)' : `HTTP ${status}${s.statusText ? ` ${s.statusText}` : ''}`;
    const why = reasonOf(s.answer?.body) || s.reason;
    const error = why ? `${label}: ${why}` : label;
    const kept = s.answer ? { answer: s.answer } : {};
    switch (verdict) {
      case 'ok':
        return { ok: true, status, answer: s.answer ?? { status } };
      case 'permanent':
        return { ok: false, retryable: false, status, error, ...kept };
      case 'session': {
        // Every op of the scope waits (see holds); the op an earlier 403 failed comes back on release.
        const failed = earlier403?.failed ? earlier403.opId : undefined;
        const who = isUserMismatch(s.answer?.body) ? 'signed in as someone else: ' : '';
        const hold = this.#sessions.hold(op.user, origin, `${NEEDS_AUTH}: ${who}${label} from ${origin}`, failed);
        return { ok: false, retryable: true, free: true, hold, status, error, ...kept };
      }
      case 'in-progress':
        return this.#inProgress(s, label, now);
      case 'gateway':
      case 'retryable': {
        const retryAfterMs = this.#retryAfterMs(s.retryAfter, now);
        // The origin asked to be left alone: every lane sending to it waits (see heldUntil).
        if (retryAfterMs !== undefined && (status === 429 || status === 503)) this.#health.pause(origin, now + retryAfterMs);
        const result: SendResult = { ok: false, retryable: true, status, error, ...(retryAfterMs !== undefined && { retryAfterMs }) };
        if (verdict === 'retryable') return result;
        // A gateway's answer says the app is unreachable: it counts only when the app answered otherwise.
        const reached = await this.#reached(origin, s.startedAt, d, true);
        return reached ? { ...result, error: `${error} (${reached})` } : { ...result, free: true, error: `${error} (a gateway's answer)` };
      }
    }
  }

  /**
   * A 409 saying the first request with the key still runs: free, after its
   * `Retry-After` (or a second), until the run of such answers to this op is
   * older than `maxInProgressMs`; each one after that spends an attempt. The
   * run's start travels on the op (`lastError.since`), so it survives a restart.
   */
  #inProgress(s: Seen, label: string, now: number): SendResult {
    const last = s.op.lastError;
    const since = last?.status === 409 && last.retryable && last.since !== undefined && last.since <= now ? last.since : now;
    const over = now - since >= this.#maxInProgressMs;
    const retryAfterMs = this.#retryAfterMs(s.retryAfter, now) ?? IN_PROGRESS_RETRY_MS;
    const error = over
      ? `${label}: the first request with this key is still running after ${Math.round((now - since) / 1000)} s; each further 409 spends an attempt`
      : `${label}: the first request with this key is still running`;
    return { ok: false, retryable: true, status: s.status, since, retryAfterMs, error, ...(!over && { free: true }) };
  }

  #retryAfterMs(value: string | null, now: number): number | undefined {
    const parsed = parseRetryAfter(value, now);
    return parsed === undefined ? undefined : Math.min(parsed, this.#maxRetryAfterMs);
  }

  /** Whether `classify` reads `status` as a gateway's (then it says nothing of the app behind it). */
  #isGateway(status: number): boolean {
    return this.#classify(status, { idempotencyKey: false, retryAfter: false, body: undefined, redirected: false, repeated: false }) === 'gateway';
  }

  /**
   * Whether the app behind `origin` was reachable while a send since
   * `startedAt` got no answer (or only a gateway's): it answered another
   * request meanwhile, or it answers a reachability check now (for a
   * gateway's answer, only one the app configured: the default `HEAD /` may
   * be served by the proxy itself). Returns how it was found, or undefined.
   */
  async #reached(origin: string, startedAt: number, d: Deadline, gateway: boolean): Promise<string | undefined> {
    if (this.#health.answeredSince(origin, startedAt)) return `while ${origin} answered other requests`;
    const reach = this.#reach;
    if (!reach || d.outerAborted || (gateway && !reach.configured)) return undefined;
    const outcome = await reach.check(origin, d.outer);
    if (!outcome.reached) return undefined;
    this.#health.answered(origin, outcome.at);
    return `while ${origin} answered a reachability check`;
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
    if (d.signal.aborted) return this.#silence(origin, d, startedAt);
    let headers: Headers;
    try {
      const hook = this.#headers;
      const extra = hook ? await d.race(() => hook(ex.op, { signal: d.signal })) : {};
      // The user's own credentials win over whatever the hook returned.
      headers = requestHeaders(extra, creds);
    } catch (err) {
      if (d.signal.aborted) return this.#silence(origin, d, startedAt);
      // Nothing went out, as when there is no answer: the op is not at fault, and spends nothing.
      const error = err instanceof BadHeader ? `headers hook: ${err.message}` : `headers hook failed: ${message(err)}`;
      return { ok: false, retryable: true, free: true, error };
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
      return await this.#fetch(ex.url.href, init);
    } catch (err) {
      return this.#silence(origin, d, startedAt, err);
    }
  }

  /**
   * A send that got no HTTP answer. It spends no attempt unless the app
   * behind `origin` answered another request since this one started, or
   * answers a reachability check now: then the origin was reachable, and the
   * silence (a hang, a reset) is this op's own.
   */
  async #silence(origin: string, d: Deadline, startedAt: number, err?: unknown): Promise<SendResult> {
    const error = d.timedOut
      ? `timeout after ${this.#timeoutMs} ms`
      : d.outerAborted
        ? 'send aborted: the lease ended or the worker stopped'
        : `network error: ${message(err)}`;
    const reached = await this.#reached(origin, startedAt, d, false);
    return { ok: false, retryable: true, unanswered: true, ...(!reached && { free: true }), error: reached ? `${error} (${reached})` : error };
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

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
