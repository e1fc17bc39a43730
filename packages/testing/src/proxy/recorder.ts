import type { WireRequest } from '../checker/history.ts';
import type { Fault, FaultPlan, PlannedRequest } from './faults.ts';

/** One request (or one op of a batch request) that met the faults, and what became of it. */
export interface LoggedRequest extends WireRequest, PlannedRequest {
  /** What was done with it. */
  fault: Fault;
  /** The status the API answered, when the request was passed on and answered. */
  upstreamStatus?: number;
}

/** Which requests the plan sees: those with an `Idempotency-Key` header, and batch requests. */
export const defaultMatch = (req: PlannedRequest): boolean => req.key !== null || req.batch !== undefined;

/**
 * The plan, the per-key attempt counts and the wire log, shared by
 * `FaultProxy` and the MSW handlers so that both give a plan the same
 * requests and the checker the same log. A batch request (a JSON body with
 * `ops: [{ idempotencyKey }]`) is planned once, under its first op's key, and
 * logged once per op.
 */
export class WireRecorder {
  /** Every matched request in arrival order (an item per op of a batch request). */
  readonly log: LoggedRequest[] = [];
  plan: FaultPlan;
  readonly #match: (req: PlannedRequest) => boolean;
  readonly #count = new Map<string, number>();

  constructor(plan: FaultPlan | undefined, match: ((req: PlannedRequest) => boolean) | undefined) {
    this.plan = plan ?? (() => 'pass');
    this.#match = match ?? defaultMatch;
  }

  /**
   * Plans one request: its fault and its log entries (already in {@link log}),
   * or undefined when the plan does not see it (it passes, unlogged).
   */
  begin(
    method: string,
    path: string,
    keyHeader: string | null,
    text: string,
  ): { fault: Fault; entries: LoggedRequest[] } | undefined {
    const parsed = parseJson(text);
    const batch = batchKeys(parsed);
    const planned: PlannedRequest = {
      method,
      path,
      key: keyHeader ?? batch?.[0] ?? null,
      ...(parsed !== undefined && { body: parsed }),
      ...(batch !== undefined && { batch }),
    };
    if (!this.#match(planned)) return undefined;
    const nth = (this.#count.get(planned.key ?? '') ?? 0) + 1;
    this.#count.set(planned.key ?? '', nth);
    const fault = this.plan(planned, nth);
    const at = Date.now();
    const entries =
      batch === undefined
        ? [{ ...planned, at, fault }]
        : batch.map((k): LoggedRequest => ({ ...planned, key: k, at, fault, batched: true }));
    this.log.push(...entries);
    return { fault, entries };
  }

  /** Forgets the log and the per-key counts. */
  reset(): void {
    this.log.length = 0;
    this.#count.clear();
  }
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

/** The keys of a batch request's ops, or undefined when the body is not a batch. */
function batchKeys(body: unknown): string[] | undefined {
  const ops = (body as { ops?: unknown } | null | undefined)?.ops;
  if (!Array.isArray(ops) || ops.length === 0) return undefined;
  const keys = ops.map((op: unknown) => (op as { idempotencyKey?: unknown } | null)?.idempotencyKey);
  return keys.every((k) => typeof k === 'string') ? (keys as string[]) : undefined;
}
