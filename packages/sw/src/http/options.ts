import type { BatchMode } from './batch.ts';
import type { Operation, SendContext, Clock, RetryPolicy, Timers } from '@ferry/core';
import type { CredentialSource } from '../credentials/CredentialStore.ts';
import type { AllowedOriginEntry } from '../credentials/origins.ts';
import type { Classify } from './classify.ts';
import type { SendTracer } from './tracing.ts';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * How the transport finds out whether an origin is reachable when a send
 * got no answer and the origin answered nothing else meanwhile: if another
 * request gets an answer from the app (or an opaque one), the silence was
 * the op's own and spends an attempt; if it gets nothing or a gateway's
 * status, the send stays free. `false` turns the check off (then silence
 * counts only when the origin answered other sends).
 */
export interface ReachabilityOptions {
  /**
   * What to ask: a URL resolved against the origin being checked (e.g.
   * `/api/health`, served by the API itself, so that an API that hangs
   * behind a live proxy does not count as reachable), or a function of the
   * origin. With a URL set, a gateway's answer (502, 503, 504) to a send in a
   * quiet lane is checked too. @default `HEAD` of the origin's root (`/`)
   */
  url?: string | ((origin: string) => string);
  /** How long the check may take; past it the origin counts as unreachable. @default 3000 */
  timeoutMs?: number;
  /** How long an unreachable outcome is kept per origin before it is asked again. @default 60000 */
  cacheMs?: number;
}

export interface HttpTransportOptions {
  /** @default the global `fetch`, read at send time */
  fetch?: FetchLike;
  /**
   * Relative targets resolve against it, and absolute ones on it are allowed.
   * @default `location.origin`, read at send time
   */
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
   * when `onUnauthorized` is called. @default [401]
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
   * never stored with the op. Whatever it throws, and a header it returns
   * that `fetch` refuses, is a retryable failure that spends no attempt, with
   * the reason in `lastError` (naming the header, never its value).
   */
  headers?: (op: Operation, ctx: SendContext) => Promise<Record<string, string>> | Record<string, string>;
  /**
   * For ops without a user: called on a status in `refreshOn` (a 401), under
   * the send's timeout. Resolve true after refreshing credentials: the send
   * is repeated once at once (no attempt spent). A refusal after that, or
   * false, is read by `classify` (a 401 holds the lanes: `session`); a hook
   * that throws (a refresh that failed for a moment) is a retryable failure
   * that spends no attempt.
   */
  onUnauthorized?: (op: Operation, response: Response, ctx: SendContext) => Promise<boolean>;
  /**
   * Reads an answer (see {@link defaultClassify}, the default, and the
   * package README's table): `ok`, `retryable`, `gateway`, `in-progress`,
   * `session` or `permanent`. Wrap the default to change a status, e.g.
   * `(status, a) => (status === 403 ? 'session' : defaultClassify(status, a))`.
   */
  classify?: Classify;
  /**
   * How long a run of `in-progress` 409s to one op stays free: after it,
   * each further one spends an attempt, so a server stuck on a key cannot
   * hold a lane forever. The run's start is kept on the op
   * (`lastError.since`), so a worker restart does not reset it. @default 120000
   */
  maxInProgressMs?: number;
  /** See {@link ReachabilityOptions}. @default {} (checks on, `HEAD /`) */
  reachability?: ReachabilityOptions | false;
  /**
   * Response headers kept with an op's answer (`op.answer.headers`), e.g.
   * `['Location', 'ETag']`. @default [] (status and body only)
   */
  keepHeaders?: readonly string[];
  /**
   * The largest body kept with an op's answer (`op.answer.body`: parsed
   * JSON, or text), on success and on a refusal: a larger one is not kept
   * (`truncated`). Bodies that are neither JSON nor text are not kept. @default 16384
   */
  maxAnswerBytes?: number;
  /**
   * The retry policy whose `maxRetryAfterMs` caps a `Retry-After` (an op's wait and its origin's pause): the
   * Outbox's (`outbox.policy`), which the host passes itself. @default a policy of RETRY_DEFAULTS (one hour)
   */
  retry?: RetryPolicy;
  /**
   * Batch mode: `batch({ target: '/api/batch' })` from `@ferry/sw/batch`. The transport then has `sendBatch`:
   * several ops of a lane in one `POST` to `target`, answered with a result per op.
   * @default undefined: one request per op
   */
  batch?: BatchMode;
  /**
   * Traces each send: `otel(tracer)` from `@ferry/sw/otel`. Each request then carries a W3C `traceparent` for
   * the send's span. The host passes its own `tracer`. @default undefined: no span, no header
   */
  tracer?: SendTracer | undefined;
  clock?: Clock;
  timers?: Timers;
}
