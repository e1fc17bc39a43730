/**
 * The server side of the delivery model (see deliveryModel.ts): a
 * deduplicating server that applies each idempotency key once and replays
 * its stored answer, and records what it saw so the model can check it: the
 * order ops were applied in per lane, every key's payload, and the value
 * each document ended with.
 */
import type { JsonValue, Operation } from '../Operation.ts';
import type { SendContext, SendResult, Transport } from '../Transport.ts';
import type { VirtualClock } from './VirtualClock.ts';

export type Answer = 'ok' | '503' | '429' | '409' | '400' | 'none' | 'throw' | 'appliedThenDropped';

interface Request {
  op: Operation;
  gen: number;
  resolve: (r: SendResult) => void;
  reject: (err: unknown) => void;
}

/** A document edit as the model's app writes it: `{ doc, v }`, `v` counting that document's edits. */
export function docEdit(payload: JsonValue): { doc: number; v: number } | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const { doc, v } = payload;
  return typeof doc === 'number' && typeof v === 'number' ? { doc, v } : undefined;
}

export class ModelServer {
  /** Keys applied. */
  readonly appliedKeys = new Set<string>();
  /** Per lane, the seqs of first applications in order; a lane's list restarts when the app retries one of its ops. */
  readonly appliedSeqs = new Map<string, number[]>();
  /** Per document, the edits (`v`) applied, in order. */
  readonly docs = new Map<number, number[]>();
  /** Per op: what may have spent an attempt (answers, lease ends, deaths on the wire), since its last retry. */
  readonly spendable = new Map<string, number>();
  /** Per op: no send before this (a Retry-After it was told). */
  readonly earliest = new Map<string, number>();
  /** Every key sent, with the payload it was first sent with. */
  readonly sentKeys = new Map<string, string>();
  readonly violations: string[] = [];
  readonly requests: Request[] = [];
  healthy = false;
  sendCount = 0;
  readonly #clock: VirtualClock;
  readonly #trace: (...a: unknown[]) => void;
  /** Which edit each key applied, to tell an edit applied under two keys. */
  readonly #editKeys = new Map<string, string>();

  constructor(clock: VirtualClock, trace: (...a: unknown[]) => void) {
    this.#clock = clock;
    this.#trace = trace;
  }

  bump(id: string): void {
    this.spendable.set(id, (this.spendable.get(id) ?? 0) + 1);
  }

  #apply(op: Operation): void {
    if (this.appliedKeys.has(op.idempotencyKey)) return;
    this.appliedKeys.add(op.idempotencyKey);
    const seqs = this.appliedSeqs.get(op.lane) ?? [];
    seqs.push(op.seq);
    this.appliedSeqs.set(op.lane, seqs);
    const edit = docEdit(op.payload);
    if (!edit) return;
    const name = `doc ${edit.doc} v${edit.v}`;
    const other = this.#editKeys.get(name);
    if (other !== undefined) this.violations.push(`${name} applied twice, under ${other} and ${op.idempotencyKey}`);
    this.#editKeys.set(name, op.idempotencyKey);
    this.docs.set(edit.doc, [...(this.docs.get(edit.doc) ?? []), edit.v]);
  }

  /** The transport of runner generation `n`. */
  transport(n: number): Transport {
    return {
      send: (op: Operation, ctx: SendContext): Promise<SendResult> => {
        this.sendCount++;
        this.#trace('send', op.id, n, op.attempt, op.leaseToken);
        const now = this.#clock.now();
        // Checked here, reported by the next step's check: an exception would only become a failed send.
        if (now < op.nextAttemptAt)
          this.violations.push(`sent ${op.id} ${op.nextAttemptAt - now} ms before its nextAttemptAt`);
        if (now < (this.earliest.get(op.id) ?? -Infinity)) this.violations.push(`sent ${op.id} before its Retry-After`);
        const body = JSON.stringify(op.payload);
        const first = this.sentKeys.get(op.idempotencyKey);
        if (first === undefined) this.sentKeys.set(op.idempotencyKey, body);
        else if (first !== body)
          this.violations.push(`key ${op.idempotencyKey} of ${op.id} sent with ${body} after ${first}`);
        const live = this.requests.filter((r) => r.gen === n);
        if (live.some((r) => r.op.id === op.id)) this.violations.push(`${op.id} on the wire twice at once`);
        if (live.some((r) => r.op.lane === op.lane))
          this.violations.push(`two ops of lane ${op.lane} on the wire at once`);
        if (this.healthy && this.appliedKeys.has(op.idempotencyKey)) {
          this.bump(op.id);
          return Promise.resolve({ ok: true, status: 200 });
        }
        return new Promise<SendResult>((resolve, reject) => {
          const req: Request = { op, gen: n, resolve, reject };
          this.requests.push(req);
          // The lease ended (or the runner stopped): fetch rejects, nothing came back.
          ctx.signal.addEventListener('abort', () => this.answer(req, 'none', true), { once: true });
          if (this.healthy) this.answer(req, 'ok');
        });
      },
    };
  }

  /** Requests of runner generation `n` still waiting for an answer. */
  live(n: number): Request[] {
    return this.requests.filter((r) => r.gen === n);
  }

  answer(req: Request, how: Answer, aborted = false): void {
    const i = this.requests.indexOf(req);
    if (i === -1) return;
    this.#trace('answer', req.op.id, req.gen, how, aborted);
    this.requests.splice(i, 1);
    const { op } = req;
    // A key the server already applied is replayed as the stored success, whatever else happens now.
    const replay =
      this.appliedKeys.has(op.idempotencyKey) && how !== 'none' && how !== 'appliedThenDropped' && how !== 'throw';
    // A replay is the server's answer whatever `how` says (a 409 included): a success, which spends an attempt.
    if (aborted || replay) this.bump(op.id);
    else if (how !== 'none' && how !== '409') this.bump(op.id);
    if (replay || how === 'ok') {
      this.#apply(op);
      return req.resolve({ ok: true, status: 200 });
    }
    const now = this.#clock.now();
    switch (how) {
      case '503':
        return req.resolve({ ok: false, retryable: true, status: 503, error: 'HTTP 503' });
      case '429':
        this.earliest.set(op.id, now + 5_000);
        return req.resolve({ ok: false, retryable: true, status: 429, retryAfterMs: 5_000, error: 'HTTP 429' });
      case '409':
        this.earliest.set(op.id, now + 1_000);
        return req.resolve({
          ok: false,
          retryable: true,
          free: true,
          status: 409,
          retryAfterMs: 1_000,
          error: 'HTTP 409: still running',
        });
      case '400':
        return req.resolve({ ok: false, retryable: false, status: 400, error: 'HTTP 400' });
      case 'throw':
        return req.reject(new Error('transport bug'));
      case 'appliedThenDropped':
        this.#apply(op);
        return req.resolve({
          ok: false,
          retryable: true,
          unanswered: true,
          free: true,
          error: 'network error: connection reset',
        });
      case 'none':
        return req.resolve({
          ok: false,
          retryable: true,
          unanswered: true,
          free: true,
          error: 'network error: Failed to fetch',
        });
    }
  }
}
