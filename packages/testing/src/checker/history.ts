/**
 * What a delivery check reads: the requests that reached the API, the
 * effects the API applied, and the ops as the client's outbox holds them at
 * the end. Anything that records these (the fault proxy, an app's own API, a
 * test server) can be checked.
 */

/** One request as it reached the API (one item, for a batch request). */
export interface WireRequest {
  /** The request's `Idempotency-Key`; null when it had none. */
  key: string | null;
  /** Wall-clock ms when it arrived (when the recorder read it: later than the client sent it, under load much later). */
  at: number;
  /**
   * Wall-clock ms when the client says it sent it: the recorders read an `X-Sent-At` header of digits, which a
   * client stamps when a test asks (e.g. from the HttpTransport's `headers` hook). Unset without one.
   */
  sentAt?: number;
  /** The status the client heard, or `hang` / `drop` when it heard none. Unset until answered. */
  outcome?: number | 'hang' | 'drop';
  /** Wall-clock ms when the answer was written to a connection still open; unset if the client had gone. */
  answeredAt?: number;
  /** The answer's `Retry-After` in ms (delay-seconds). */
  retryAfterMs?: number;
  /** The request was one item of a batch request. */
  batched?: boolean;
}

/** One effect the API applied. */
export interface Effect {
  /** The key the effect was applied under. */
  key: string | null;
  /**
   * What names the op across keys, when it can change key (a refused op
   * retried goes out under a new one): e.g. a tag in its payload. Must match
   * {@link DeliveryHistory.opName}. @default the key
   */
  op?: string;
}

/** An op as the outbox holds it at the end of the run. */
export interface FinalOp {
  id: string;
  idempotencyKey: string;
  lane: string;
  seq: number;
  status: string;
  lastError?: { status?: number; message: string };
}

export interface DeliveryHistory<O extends FinalOp = FinalOp> {
  wire: readonly WireRequest[];
  effects: readonly Effect[];
  /** Every op the outbox holds at the end. */
  ops: readonly O[];
  /** Ids whose enqueue resolved: each is owed an effect (or its planned refusal). */
  acked: readonly string[];
  /** How an op is named in {@link Effect.op}. @default the op's `idempotencyKey` */
  opName?: (op: O) => string;
  /** Ids the test expects the API to refuse: each must end `failed` with a status the API answered its key. */
  refused?: ReadonlySet<string>;
  /**
   * Spans `[from, to]` (wall-clock ms) during which the worker was being
   * stopped: a resend across one is not an early retry, since the worker that
   * heard the `Retry-After` may have died before recording it.
   */
  workerStops?: readonly (readonly [number, number])[];
  /**
   * How long the client waits for an answer (ms; Ferry's HttpTransport `timeoutMs`). An answer written later than
   * that after its request was sent ({@link WireRequest.sentAt}, else its arrival `at`) reached a client that had
   * given up: its `Retry-After` binds nothing. @default unbounded (every answer written to an open connection binds)
   */
  clientTimeoutMs?: number;
  /**
   * Which order must follow enqueue order within a lane: the order the API
   * first saw each op (`sent`), or the order of the effects (`applied`: for
   * runs where a refused op is sent again after a later op of its lane).
   * @default 'sent'
   */
  order?: 'sent' | 'applied';
}

/** The counts of a checked run; every invariant holds when each violation count is 0. */
export interface DeliveryCounts {
  acked: number;
  wireRequests: number;
  /** Requests beyond the first for one key (normal under faults: not a violation). */
  duplicatesOnWire: number;
  /** Effects beyond the first for one op. */
  appliedTwice: number;
  /** Acknowledged ops neither applied nor refused as planned. */
  lost: number;
  /** Pairs of ops of one lane that reached the API (or took effect) out of enqueue order. */
  orderViolations: number;
  /** Requests sent before the `Retry-After` of the previous answer for the same key was due. */
  earlyRetries: number;
  /** Ops refused as planned. */
  refused: number;
}

export interface DeliveryReport {
  ok: boolean;
  counts: DeliveryCounts;
  /** One line per violation found (capped per invariant), naming the op, the key and the times. */
  problems: string[];
}
