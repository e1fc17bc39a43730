/** A JSON value that survives structured clone and `JSON.stringify` alike. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type OperationStatus = 'pending' | 'inflight' | 'done' | 'failed';

/** Every {@link OperationStatus}, in the order an op passes through them. */
export const OPERATION_STATUSES: readonly OperationStatus[] = ['pending', 'inflight', 'done', 'failed'];

export type HttpMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const HTTP_METHODS: readonly HttpMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

/** Why the last attempt failed. Kept on the op; recoverable failures are state, not exceptions. */
export interface LastError {
  message: string;
  /** HTTP status, when the server answered. */
  status?: number;
  retryable: boolean;
  /** Wall-clock ms when the failure was recorded. */
  at: number;
  /** When the run of failures this one continues began, if the transport said (see `SendResult.since`). */
  since?: number;
}

/**
 * What the server answered to the last send of an op, done or failed: kept
 * with the op (a done one until compaction) and returned by `whenDone`, `get`
 * and the change feed. On a failed op it is the refusal (a 409 conflict's or
 * a 422's body), for the app to show and resolve.
 */
export interface ServerAnswer {
  status: number;
  /** The body: parsed when it was JSON, else its text; absent when empty, not text, or over the cap (`truncated`). */
  body?: JsonValue;
  /** The response headers the app asked to keep (`keepHeaders`), names lower-cased. */
  headers?: Record<string, string>;
  /** The body was larger than the cap and was not kept. */
  truncated?: true;
}

/** What an app hands to `enqueue`. Everything but `kind`, `target` and `payload` has a default. */
export interface OperationInput {
  /** Unique id; generated with nanoid when absent. An id already stored is rejected, never overwritten. */
  id?: string;
  /** What happened, e.g. `message.send`. */
  kind: string;
  /** A same-origin path such as `/api/messages`, or an absolute URL on an allow-listed origin. */
  target: string;
  /** @default 'POST' */
  method?: HttpMethod;
  /** The intent (`{ id, text, created_at }`), never headers or tokens. */
  payload: JsonValue;
  /** Ops sharing a lane are delivered in enqueue order. @default 'default' */
  lane?: string;
  /** Sent as `Idempotency-Key`; stable across retries. Generated when absent. */
  idempotencyKey?: string;
  /**
   * Who the op belongs to: the signed-in user's id (an app with tenants puts
   * the tenant in it). The page client stamps it from `setUser`. An op with a
   * user is sent only with that user's credentials and is held, spending
   * nothing, while there are none. Lanes are per user. Absent: nobody's.
   */
  user?: string;
  /**
   * Folds this op into a pending one of the same lane with the same `key`,
   * in the enqueue transaction: `replace` (the default) puts this payload in
   * its place, `merge` merges this payload's top-level fields into it (both
   * must be objects). The op keeps its place in the lane, its id (which
   * `enqueue` then resolves with, a repeat of this enqueue too) and its key.
   * An op that may have reached the server (see `possiblyDelivered`) is never
   * touched: this one queues behind it. Keys name what the op updates:
   * `doc:42`, `draft:7`.
   */
  coalesce?: { key: string; mode?: 'replace' | 'merge' };
  /**
   * The trace the op belongs to, as a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`): the span that
   * enqueued it. The page client sets it when it has a tracer (`@ferry/client/otel`); each send of the op is
   * then a child span of it, in that trace. Kept with the op; not part of what makes an enqueue a repeat.
   */
  trace?: string;
}

/** An operation as Ferry stores it. Plain data: safe to clone, post and persist. */
export interface Operation {
  id: string;
  kind: string;
  target: string;
  method: HttpMethod;
  payload: JsonValue;
  lane: string;
  idempotencyKey: string;
  /** See {@link OperationInput.user}. Never a credential: the server authorises from what the request carries. */
  user?: string;
  /** The `coalesce.key` it was enqueued with: later enqueues with that key fold into it while it is pending. */
  coalesceKey?: string;
  /** See {@link OperationInput.trace}. */
  trace?: string;
  status: OperationStatus;
  /** Enqueue order: the LSN of the WAL record that (re)queued the op. Orders a lane. */
  seq: number;
  /** Sends whose outcome counted against `maxAttempts`: answers from the server (see RetryPolicy). */
  attempt: number;
  /**
   * Failed sends since the op was queued, whether they spent an attempt or
   * not: the backoff grows with it, so an outage costs few requests and no
   * attempts. Absent on ops stored before Ferry 0.2 (then `attempt` stands in).
   */
  failures?: number;
  /**
   * Set by the op's first claim (a claim is a send): the server may have it
   * under its `idempotencyKey`, so the op is never edited in place (`update`
   * and `remove` reject with `possibly-delivered`; a coalescing enqueue
   * becomes a new op behind it). A `retry` under a new key clears it.
   */
  possiblyDelivered?: true;
  /** On an op in flight: its send started, so a runner that dies leaves its outcome unknown (an attempt counts). */
  onWire?: true;
  /** When the app last retried the op (a dead letter): `maxAgeMs` counts from here instead of `createdAt`. */
  retriedAt?: number;
  /** Earliest wall-clock ms at which the op may be sent. */
  nextAttemptAt: number;
  /** What the server answered to the last send, done or failed (see {@link ServerAnswer}); absent when it gave no answer. */
  answer?: ServerAnswer;
  /**
   * Why a pending op waits for a signal rather than a time (no credentials
   * for its user yet): it is not sent until released, and spends nothing.
   */
  held?: string;
  lastError?: LastError;
  createdAt: number;
  updatedAt: number;
  /** The runner holding an in-flight op, and until when. */
  leaseOwner?: string;
  leaseUntil?: number;
  /**
   * The claim's token: the LSN of its `claim` WAL record. Recording the
   * outcome must present it, so an answer for a superseded claim changes nothing.
   */
  leaseToken?: number;
}
