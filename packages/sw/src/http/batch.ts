import type { Clock, JsonValue, Operation, SendResult, ServerAnswer } from '@ferry/core';
import { FerryError } from '@ferry/core';
import { errorMessage } from '@ferry/core/internal';
import type { BatchItem, BatchResult } from '@ferry/core/batch';
import type { Deadline } from './deadline.ts';
import { readBody } from './readBody.ts';
import type { Asked, Judge } from './judge.ts';
import { oneLine } from './errorExcerpt.ts';
import type { OriginHealth } from './OriginHealth.ts';
import type { ExchangeFn } from './request.ts';
import type { SendSpan } from './tracing.ts';

/** One item of a batch answer, as read: `{ status, error?, retryAfter?, body? }`, or why it is not one. */
type RawItem = { [K in keyof BatchResult]?: unknown };

/** A batch answer is a status and maybe a reason per op: anything near this size is not one. */
const MAX_BATCH_ANSWER_BYTES = 256 * 1024;

function batchItem({ id, kind, target, method, idempotencyKey, payload }: Operation): BatchItem {
  return { id, kind, target, method, idempotencyKey, payload };
}

/**
 * Reads a 2xx batch answer `{ results: [...] }` within what is left of the
 * send's deadline: its items, or the first op's retryable failure when the
 * answer is cut short, not JSON, or has no results array.
 */
async function readBatchAnswer(res: Response, d: Deadline): Promise<RawItem[] | SendResult> {
  const body = await readBody(res, MAX_BATCH_ANSWER_BYTES, Math.max(0, d.remaining()), d.timers);
  const fail = (error: string): SendResult => ({ ok: false, retryable: true, status: res.status, error });
  if (!body.complete) return fail('batch answer cut short (too large, too slow, or broken off)');
  let answer: unknown;
  try {
    answer = JSON.parse(body.text);
  } catch (err) {
    return fail(`unreadable batch answer: ${errorMessage(err)}`);
  }
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return fail('batch answer without a results array');
  return results.map((r: unknown) => (typeof r === 'object' && r !== null ? r : {}) as RawItem);
}

/** What a batch send needs of its transport. */
export interface BatchParts {
  /** A target resolved and allow-listed, or why it is refused. */
  url: (target: string) => URL | string;
  /** The authenticated exchange (see `authenticated`). */
  exchange: ExchangeFn;
  /** The send's span, when the transport traces. */
  span?: SendSpan | undefined;
  judge: Judge;
  health: OriginHealth;
  clock: Clock;
}

/**
 * Batch mode for the HTTP transport (`transport: { batch: batch({ target }) }`), made by `batch()` from
 * `@ferry/sw/batch`: the transport then has `sendBatch`, and the host sends up to `delivery.batchSize` ops of a
 * lane per request.
 */
export interface BatchMode {
  /** Where batch sends go, resolved and allow-listed like a target. */
  readonly target: string;
  /** Sends one batch; the transport calls it with its own parts. */
  readonly send: (parts: never, ops: readonly Operation[], d: never) => Promise<SendResult[]>;
}

/** The HTTP transport's side of {@link BatchMode.send}. */
export type SendBatch = (parts: BatchParts, ops: readonly Operation[], d: Deadline) => Promise<SendResult[]>;

/**
 * One `POST` to `batchTarget` with `{ ops: [...] }`; the answer's
 * `{ results: [{ status, error?, retryAfter? }] }` gives a result per op, in
 * order. A failed exchange is the first op's failure. An op whose target is
 * not allowed ends the batch before it (it then fails alone, through `send`).
 */
async function sendBatch(
  p: BatchParts,
  batchTarget: string,
  ops: readonly Operation[],
  d: Deadline,
): Promise<SendResult[]> {
  const first = ops[0];
  if (!first) return [];
  const url = p.url(batchTarget);
  if (typeof url === 'string') return [{ ok: false, retryable: false, error: `batchTarget: ${url}` }];
  const refused = ops.findIndex((op) => typeof p.url(op.target) === 'string');
  if (refused === 0) return [{ ok: false, retryable: false, error: p.url(first.target) as string }];
  const sent = refused === -1 ? ops : ops.slice(0, refused);
  const startedAt = p.clock.now();
  const body = JSON.stringify({ ops: sent.map(batchItem) });
  const res = await p.exchange({ url, method: 'POST', body, op: first, span: p.span }, d);
  if (!(res instanceof Response)) return [res];
  const asked = { origin: url.origin, op: first, startedAt };
  // The batch request carries no key of its own (each item does), so a 409 to it is not "in progress".
  if (!(res.status >= 200 && res.status < 300)) return [await p.judge.answer(res, { ...asked, keyed: false }, d)];
  p.health.answered(url.origin, p.clock.now());
  const items = await readBatchAnswer(res, d);
  if (!Array.isArray(items)) return [items];
  const results: SendResult[] = [];
  // In order: a 403 to one item is what makes a 403 to the next one the session's.
  for (const [i, item] of items.slice(0, sent.length).entries())
    results.push(await judgeItem(p.judge, item, { ...asked, keyed: true, op: sent[i] ?? first }, d));
  return results;
}

/**
 * Batch mode, for the HTTP transport's `batch` option: `transport: { batch: batch({ target: '/api/batch' }) }`.
 * `target` is resolved and allow-listed like an op's; the `headers` and `onUnauthorized` hooks get the batch's
 * first op (see the package README for the wire format). Throws `invalid-config` without a string `target`.
 */
export function batch(options: { target: string }): BatchMode {
  const target = (options as { target?: unknown } | undefined)?.target;
  if (typeof target !== 'string') throw new FerryError('invalid-config', 'batch() needs a target: a URL string');
  const send: SendBatch = (parts, ops, d) => sendBatch(parts, target, ops, d);
  return { target, send: send as BatchMode['send'] };
}

/** One item of a batch answer: `{ status, error?, retryAfter?, body? }`, judged as an answer. Each item carried its own key. */
function judgeItem(judge: Judge, item: RawItem, asked: Asked, d: Deadline): Promise<SendResult> | SendResult {
  const status = item.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return { ok: false, retryable: true, error: 'batch answer item without a valid status' };
  }
  const answer: ServerAnswer = { status, ...(item.body !== undefined && { body: item.body as JsonValue }) };
  const reason = typeof item.error === 'string' ? oneLine(item.error) : '';
  const v = item.retryAfter;
  const retryAfter = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : null;
  return judge.seen({ ...asked, status, statusText: '', retryAfter, answer, redirected: false, reason }, d);
}
