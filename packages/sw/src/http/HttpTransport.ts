import type { Clock, Operation, SendContext, SendResult, Timers, Transport } from '@ferry/core';
import { RetryPolicy, systemClock, systemTimers } from '@ferry/core';
import { targetUrl } from '@ferry/core/internal';
import type { CredentialSource } from '../credentials/CredentialStore.ts';
import type { Deadline } from './deadline.ts';
import { deadline } from './deadline.ts';
import { normalizeOrigins } from '../credentials/origins.ts';
import { authenticated } from './auth.ts';
import type { SendBatch } from './batch.ts';
import { defaultClassify, isGateway } from './classify.ts';
import { Judge } from './judge.ts';
import type { HttpTransportOptions } from './options.ts';
import { OriginHealth } from './OriginHealth.ts';
import { Reachability } from './reachability.ts';
import type { ExchangeFn } from './request.ts';
import { requester } from './request.ts';
import { Sessions } from './sessions.ts';
import type { SendSpan, SendTracer } from './tracing.ts';

export type { FetchLike, HttpTransportOptions, ReachabilityOptions } from './options.ts';

/**
 * Delivers ops over HTTP: one request per op, `Idempotency-Key` from the op,
 * JSON body from its payload, one timeout over the whole send, and the
 * verdict of `classify` on each answer (the package README has the
 * table). With `batch` (from `@ferry/sw/batch`), also several ops of a lane
 * per request (`sendBatch`). Never throws.
 *
 * It keeps what it saw of each origin: a send that got no answer, or only a
 * gateway's, spends no attempt unless the app behind the same origin
 * answered another request meanwhile or answers a reachability check (then
 * the silence is this op's, and counts); a `Retry-After` on a 429 or 503
 * pauses every lane sending to that origin (`pausedUntil`); a
 * refusal of the session holds every op of its user to that origin (`holds`)
 * until {@link HttpTransport.releaseSessions}. The request, its credentials,
 * the reading of answers and batches each have a file of their own here
 * (`request.ts`, `auth.ts`, `judge.ts` with `response.ts`, `batch.ts`).
 */
export class HttpTransport implements Transport {
  readonly sendBatch?: (ops: readonly Operation[], ctx: SendContext) => Promise<SendResult[]>;
  readonly #origin: () => string;
  readonly #allowed: readonly string[];
  readonly #credentials: CredentialSource | undefined;
  readonly #timeoutMs: number;
  readonly #health = new OriginHealth();
  readonly #sessions = new Sessions();
  readonly #judge: Judge;
  readonly #exchange: ExchangeFn;
  readonly #tracer: SendTracer | undefined;
  readonly #batchTarget: string | undefined;
  readonly #clock: Clock;
  readonly #timers: Timers;

  constructor(options: HttpTransportOptions = {}) {
    const fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.#origin = options.origin ?? (() => location.origin);
    const origins = normalizeOrigins(options.allowedOrigins);
    this.#allowed = origins.list;
    this.#credentials = options.credentials;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#tracer = options.tracer;
    const classify = options.classify ?? defaultClassify;
    const reach = options.reachability ?? {};
    this.#judge = new Judge({
      classify,
      keepHeaders: (options.keepHeaders ?? []).map((h) => h.toLowerCase()),
      maxAnswerBytes: options.maxAnswerBytes ?? 16 * 1024,
      maxInProgressMs: options.maxInProgressMs ?? 2 * 60 * 1000,
      retry: options.retry ?? new RetryPolicy(),
      timeoutMs: this.#timeoutMs,
      clock: this.#clock,
      health: this.#health,
      sessions: this.#sessions,
      reach:
        reach === false
          ? undefined
          : new Reachability(reach, {
              fetch: () => fetchFn,
              clock: this.#clock,
              timers: this.#timers,
              isGateway: (s) => isGateway(classify, s),
            }),
    });
    const [judge, health, clock] = [this.#judge, this.#health, this.#clock];
    const request = requester({ fetch: fetchFn, headers: options.headers, modes: origins.credentials, judge, clock });
    const refreshOn = options.refreshOn ?? [401];
    const auth = { credentials: options.credentials, refreshOn, onUnauthorized: options.onUnauthorized, request };
    const authParts = { ...auth, judge, health, clock };
    this.#exchange = (ex, d) => authenticated(authParts, ex, d);
    const mode = options.batch;
    this.#batchTarget = mode?.target;
    if (mode) {
      const parts = { url: (t: string) => this.#url(t), exchange: this.#exchange, judge, health, clock };
      const send = mode.send as SendBatch;
      this.sendBatch = (ops, ctx) => this.#withDeadline(ops, ctx, (d, span) => send({ ...parts, span }, ops, d));
    }
  }

  send(op: Operation, ctx: SendContext): Promise<SendResult> {
    return this.#withDeadline([op], ctx, async (d, span) => {
      const url = this.#url(op.target);
      if (typeof url === 'string') return { ok: false, retryable: false, error: url };
      const startedAt = this.#clock.now();
      const body = op.method === 'DELETE' ? {} : { body: JSON.stringify(op.payload) };
      const res = await this.#exchange({ url, method: op.method, key: op.idempotencyKey, op, span, ...body }, d);
      if (!(res instanceof Response)) return res;
      return this.#judge.answer(res, { origin: url.origin, keyed: true, op, startedAt }, d);
    });
  }

  /**
   * When `op` may be sent, if its origin (or the batch endpoint's) asked for
   * a pause that still runs at `now`: the end of the pause. The SyncWorker
   * defers such lanes. (The name is the Transport interface's.)
   */
  pausedUntil(op: Operation, now: number): number | undefined {
    const until = Math.max(...this.#origins(op).map((o) => this.#health.pauseEnd(o, now) ?? -Infinity));
    return until > now ? until : undefined;
  }

  /**
   * Sends nothing to `origin` before `until` (wall-clock ms), as a `Retry-After` would ask: its lanes are
   * deferred to then, spending nothing. A later end wins over an earlier one. Kept in memory.
   */
  pauseOrigin(origin: string, until: number): void {
    this.#health.pause(origin, until);
  }

  /** The pauses running at `now` (asked by a `Retry-After` or by {@link pauseOrigin}), by origin. */
  pausedOrigins(now: number): { origin: string; until: number }[] {
    return this.#health.pauses(now);
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
    const waiting = user === undefined ? undefined : source?.holds(user, url.origin);
    if (waiting !== undefined) return waiting;
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

  /**
   * Runs a send of `ops` under one deadline (the send's timeout, or its signal: lease end, stop, whichever comes
   * first), in the span the tracer starts for it, if any.
   */
  async #withDeadline<T extends SendResult | SendResult[]>(
    ops: readonly Operation[],
    ctx: SendContext,
    fn: (d: Deadline, span: SendSpan | undefined) => Promise<T>,
  ): Promise<T> {
    const span = this.#tracer?.(ops);
    const d = deadline(ctx.signal, this.#timeoutMs, this.#timers, this.#clock);
    try {
      const results = await fn(d, span);
      span?.end(results);
      return results;
    } finally {
      d.dispose();
    }
  }

  /** The target resolved and allow-listed, or why it is refused. */
  #url(target: string): URL | string {
    return targetUrl(target, this.#origin(), this.#allowed);
  }
}
