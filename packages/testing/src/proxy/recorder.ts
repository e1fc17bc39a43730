import type { WireRequest } from '../checker/history.ts';
import type { Fault, FaultPlan, PlannedRequest } from './faults.ts';
import type { Incoming } from './exchange.ts';

/** One request (or one op of a batch request) that met the faults, and what became of it. */
export interface LoggedRequest extends WireRequest, PlannedRequest {
  /** What was done with it. */
  fault: Fault;
  /** The status the API answered, when the request was passed on and answered. */
  upstreamStatus?: number;
}

/** Which requests the plan sees: those with an `Idempotency-Key` (every op of a batch has one). */
export const defaultMatch = (req: PlannedRequest): boolean => req.key !== null;

/**
 * The plan, the per-key attempt counts and the wire log, shared by
 * `FaultProxy` and the MSW handler so that both give a plan the same
 * requests and the checker the same log.
 */
export class WireRecorder {
  /** Every matched request in arrival order (an entry per op of a batch request). */
  readonly log: LoggedRequest[] = [];
  plan: FaultPlan;
  readonly #match: (req: PlannedRequest) => boolean;
  readonly #count = new Map<string, number>();

  constructor(plan: FaultPlan | undefined, match: ((req: PlannedRequest) => boolean) | undefined) {
    this.plan = plan ?? (() => 'pass');
    this.#match = match ?? defaultMatch;
  }

  /**
   * Plans a request: its fault and log entry; or, for a batch request of
   * Ferry's wire format, its ops (to plan one by one with {@link planOp});
   * or `unmatched` when the plan does not see it (it passes, unlogged).
   */
  planRequest(
    req: Incoming,
  ): { fault: Fault; entry: LoggedRequest; batch?: undefined } | { batch: { ops: BatchOp[] } } | 'unmatched' {
    const body = parseJson(req.body);
    const key = req.headers['idempotency-key'] ?? null;
    if (key === null && isBatch(body)) return { batch: body };
    const planned: PlannedRequest = {
      method: req.method,
      path: req.path,
      key,
      headers: req.headers,
      ...(body !== undefined && { body }),
    };
    if (!this.#match(planned)) return 'unmatched';
    return this.#plan(planned);
  }

  /** Whether the plan would see the request (a batch request: always), without planning or logging it. */
  sees(req: Incoming): boolean {
    const body = parseJson(req.body);
    const key = req.headers['idempotency-key'] ?? null;
    if (key === null && isBatch(body)) return true;
    return this.#match({ method: req.method, path: req.path, key, headers: req.headers });
  }

  /**
   * Plans one op of a batch request, as if it came alone (`batched` set). An
   * op the plan does not see passes, and its entry stays out of the log.
   */
  planOp(req: Incoming, op: BatchOp): { fault: Fault; entry: LoggedRequest } {
    const planned: PlannedRequest = {
      method: op.method ?? req.method,
      path: op.target === undefined ? req.path : new URL(op.target, 'http://proxy').pathname,
      key: op.idempotencyKey,
      headers: req.headers,
      ...(op.payload !== undefined && { body: op.payload }),
      batched: true,
    };
    if (!this.#match(planned)) return { fault: 'pass', entry: { ...planned, ...arrival(planned), fault: 'pass' } };
    return this.#plan(planned);
  }

  /** Forgets the log and the per-key counts. */
  reset(): void {
    this.log.length = 0;
    this.#count.clear();
  }

  #plan(planned: PlannedRequest): { fault: Fault; entry: LoggedRequest } {
    const nth = (this.#count.get(planned.key ?? '') ?? 0) + 1;
    this.#count.set(planned.key ?? '', nth);
    const fault = this.plan(planned, nth);
    const entry: LoggedRequest = { ...planned, ...arrival(planned), fault };
    this.log.push(entry);
    return { fault, entry };
  }
}

/** When a request arrived, and when the client says it sent it (an `X-Sent-At` header of digits). */
function arrival(req: PlannedRequest): { at: number; sentAt?: number } {
  const stamp = req.headers['x-sent-at'];
  return { at: Date.now(), ...(stamp !== undefined && /^\d+$/.test(stamp) && { sentAt: Number(stamp) }) };
}

/** One op of a batch request (Ferry's `BatchItem`), as far as the faults read it. */
export interface BatchOp {
  idempotencyKey: string;
  method?: string;
  target?: string;
  payload?: unknown;
}

/**
 * Notes the answer on the request's entries, and a delay-seconds
 * `Retry-After`. `heard` is false when the client had gone before the answer
 * was ready: it cannot honour a `Retry-After` it never heard, so no
 * `answeredAt` is set.
 */
export function noteAnswer(
  entries: readonly LoggedRequest[],
  status: number,
  retryAfter: string | null | undefined,
  heard = true,
): void {
  const now = Date.now();
  for (const e of entries) {
    e.outcome = status;
    if (heard) e.answeredAt = now;
    if (typeof retryAfter === 'string' && /^\d+$/.test(retryAfter)) e.retryAfterMs = Number(retryAfter) * 1000;
  }
}

/** The answer a status fault (or `in-progress`) gives, or undefined for the faults that pass the request on. */
export function cannedAnswer(
  fault: Fault,
): { status: number; headers: Record<string, string>; body: string } | undefined {
  if (fault === 'in-progress') return { status: 409, headers: { 'Retry-After': '1' }, body: '' };
  if (typeof fault !== 'object' || !('status' in fault)) return undefined;
  return { status: fault.status, headers: { ...fault.headers }, body: fault.body ?? '' };
}

/** The `Retry-After` of a header record, whatever its case. */
export function retryAfterOf(headers: Readonly<Record<string, string>>): string | undefined {
  return Object.entries(headers).find(([name]) => name.toLowerCase() === 'retry-after')?.[1];
}

function parseJson(text: string): unknown {
  if (!text.startsWith('{') && !text.startsWith('[')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether a body is a batch of Ferry's wire format: `ops`, each with a string `idempotencyKey`. */
function isBatch(body: unknown): body is { ops: BatchOp[] } {
  const ops = (body as { ops?: unknown } | null | undefined)?.ops;
  return (
    Array.isArray(ops) &&
    ops.length > 0 &&
    ops.every((op: unknown) => typeof (op as { idempotencyKey?: unknown } | null)?.idempotencyKey === 'string')
  );
}
