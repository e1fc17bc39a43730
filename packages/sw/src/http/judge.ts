import type { Clock, Operation, RetryPolicy, SendResult, ServerAnswer } from '@ferry/core';
import { errorMessage } from '@ferry/core/internal';
import type { Deadline } from './deadline.ts';
import { reasonOf } from './errorExcerpt.ts';
import { parseRetryAfter } from './retryAfter.ts';
import type { Classify } from './classify.ts';
import { isUserMismatch } from './classify.ts';
import type { OriginHealth } from './OriginHealth.ts';
import type { Reachability } from './reachability.ts';
import { discardBody, readAnswer } from './response.ts';
import type { Sessions } from './sessions.ts';
import { NEEDS_AUTH } from './sessions.ts';

/** The longest a refusal's body is read for its reason and answer. */
const REFUSAL_READ_MS = 1000;
/** A 409 "still in progress" without `Retry-After` is tried again after this long. */
const IN_PROGRESS_RETRY_MS = 1000;

/** Where an answer came from: the send it answers. */
export interface Asked {
  origin: string;
  /** Whether the request carried an `Idempotency-Key`. */
  keyed: boolean;
  op: Operation;
  startedAt: number;
}

/** An answer to judge: a response's, or a batch item's. */
export interface Seen extends Asked {
  status: number;
  statusText: string;
  retryAfter: string | null;
  answer: ServerAnswer | undefined;
  redirected: boolean;
  /** A reason given besides the body (a batch item's `error`). */
  reason: string;
}

/** What the judge is given by its transport: the options that read answers, and the state it shares. */
export interface JudgeParts {
  classify: Classify;
  keepHeaders: readonly string[];
  maxAnswerBytes: number;
  maxInProgressMs: number;
  /** Caps a `Retry-After` (`maxRetryAfterMs`). */
  retry: RetryPolicy;
  timeoutMs: number;
  clock: Clock;
  health: OriginHealth;
  sessions: Sessions;
  reach: Reachability | undefined;
}

/**
 * Turns what came back from a send (a response, a batch item, or nothing)
 * into its result, by the verdict of `classify`: what is kept of the
 * answer, whether an attempt is spent, a pause of the origin, a hold of the
 * session. Keeps the transport's view of each origin up to date.
 */
export class Judge {
  readonly #p: JudgeParts;

  constructor(p: JudgeParts) {
    this.#p = p;
  }

  /** A response turned into a result; the body of a success or a refusal is read (within the cap) and kept. */
  async answer(res: Response, asked: Asked, d: Deadline): Promise<SendResult> {
    // `redirect: 'manual'` answers redirects with an opaque response of status 0.
    const redirected = res.type === 'opaqueredirect';
    const status = res.status;
    const refusal = status >= 400;
    const unread = redirected || !(refusal || (status >= 200 && status < 300));
    // A refusal's body is read within a second at most: its reason must not stall the worker.
    const timeoutMs = refusal ? Math.min(d.remaining(), REFUSAL_READ_MS) : d.remaining();
    const keep = this.#p.keepHeaders;
    const how = { keep, maxBytes: this.#p.maxAnswerBytes, timeoutMs, timers: d.timers, anyType: refusal };
    const read = unread ? discardBody(res) : await readAnswer(res, how);
    const retryAfter = res.headers.get('Retry-After');
    const reason = read && read.answer.body === undefined ? reasonOf(read.text) : '';
    const { statusText } = res;
    return this.seen({ ...asked, status, statusText, retryAfter, answer: read?.answer, redirected, reason }, d);
  }

  /** What an answer (a response's, or a batch item's) makes of the send, by the verdict of `classify`. */
  async seen(s: Seen, d: Deadline): Promise<SendResult> {
    const now = this.#p.clock.now();
    const { status, origin, op } = s;
    const earlier403 = status === 403 ? this.#p.sessions.recentForbidden(op.user, origin, op.id, now) : undefined;
    const verdict = this.#p.classify(status, {
      idempotencyKey: s.keyed,
      retryAfter: s.retryAfter !== null,
      body: s.answer?.body,
      redirected: s.redirected,
      repeated: earlier403 !== undefined,
    });
    // Any answer but a gateway's shows the app behind the origin is up.
    if (verdict !== 'gateway') this.#p.health.answered(origin, now);
    if (status === 403) this.#p.sessions.forbidden(op.user, origin, op.id, now, verdict === 'permanent');
    const text = s.statusText ? ` ${s.statusText}` : '';
    const label = s.redirected ? 'redirected (opaque redirect)' : `HTTP ${status}${text}`;
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
        const hold = this.#p.sessions.hold(op.user, origin, `${NEEDS_AUTH}: ${who}${label} from ${origin}`, failed);
        return { ok: false, retryable: true, free: true, hold, status, error, ...kept };
      }
      case 'in-progress':
        return this.#inProgress(s, label, now);
      case 'gateway':
      case 'retryable': {
        const retryAfterMs = this.#retryAfterMs(s.retryAfter, now);
        // The origin asked to be left alone: every lane sending to it pauses (see HttpTransport.pausedUntil).
        const paused = retryAfterMs !== undefined && (status === 429 || status === 503);
        if (paused) this.#p.health.pause(origin, now + retryAfterMs);
        const result: SendResult = { ok: false, retryable: true, status, error };
        if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
        if (verdict === 'retryable') return result;
        // A gateway's answer says the app is unreachable: it counts only when the app answered otherwise.
        const reached = await this.#reached(origin, s.startedAt, d, true);
        if (reached) return { ...result, error: `${error} (${reached})` };
        return { ...result, free: true, error: `${error} (a gateway's answer)` };
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
    const streak = last?.status === 409 && last.retryable && last.since !== undefined && last.since <= now;
    const since = streak ? (last.since as number) : now;
    const over = now - since >= this.#p.maxInProgressMs;
    const seconds = Math.round((now - since) / 1000);
    const retryAfterMs = this.#retryAfterMs(s.retryAfter, now) ?? IN_PROGRESS_RETRY_MS;
    const running409 = `${label}: the first request with this key is still running`;
    const error = over ? `${running409} after ${seconds} s; each further 409 spends an attempt` : running409;
    return { ok: false, retryable: true, status: s.status, since, retryAfterMs, error, ...(!over && { free: true }) };
  }

  #retryAfterMs(value: string | null, now: number): number | undefined {
    const parsed = parseRetryAfter(value, now);
    return parsed === undefined ? undefined : this.#p.retry.retryAfter(parsed);
  }

  /**
   * Whether the app behind `origin` was reachable while a send since
   * `startedAt` got no answer (or only a gateway's): it answered another
   * request meanwhile, or it answers a reachability check now (for a
   * gateway's answer, only one the app configured: the default `HEAD /` may
   * be served by the proxy itself). Returns how it was found, or undefined.
   */
  async #reached(origin: string, startedAt: number, d: Deadline, gateway: boolean): Promise<string | undefined> {
    if (this.#p.health.answeredSince(origin, startedAt)) return `while ${origin} answered other requests`;
    const reach = this.#p.reach;
    if (!reach || d.outerAborted || (gateway && !reach.configured)) return undefined;
    const outcome = await reach.check(origin, d.outer);
    if (!outcome.reached) return undefined;
    this.#p.health.answered(origin, outcome.at);
    return `while ${origin} answered a reachability check`;
  }

  /**
   * A send that got no HTTP answer. It spends no attempt unless the app
   * behind `origin` answered another request since this one started, or
   * answers a reachability check now: then the origin was reachable, and the
   * silence (a hang, a reset) is this op's own.
   */
  async silence(origin: string, d: Deadline, startedAt: number, err?: unknown): Promise<SendResult> {
    const error = d.timedOut
      ? `timeout after ${this.#p.timeoutMs} ms`
      : d.outerAborted
        ? 'send aborted: the lease ended or the worker stopped'
        : `network error: ${errorMessage(err)}`;
    const reached = await this.#reached(origin, startedAt, d, false);
    if (reached) return { ok: false, retryable: true, unanswered: true, error: `${error} (${reached})` };
    return { ok: false, retryable: true, unanswered: true, free: true, error };
  }
}
