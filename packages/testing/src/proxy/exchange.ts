import type { Fault } from './faults.ts';
import type { BatchOp, LoggedRequest, WireRecorder } from './recorder.ts';
import { cannedAnswer, noteAnswer, retryAfterOf } from './recorder.ts';

/** An answer as the fault front ends pass it around: the body as text. */
export interface TextAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request as it reached a fault front end (the proxy, the MSW handler). */
export interface Incoming {
  method: string;
  path: string;
  /** Names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/**
 * How an exchange ends: the answer to send, none (`hang`: keep the client
 * waiting, `drop`: fail its connection), `unanswered` (the API gave no
 * answer), or `unmatched` (the plan does not see the request: pass it on as is).
 */
export type Ending = { answer: TextAnswer } | 'hang' | 'drop' | 'unanswered' | 'unmatched';

/** Passes the request on to the API with `body`; resolves its answer, or undefined when none came. */
export type Forward = (body: string) => Promise<TextAnswer | undefined>;

/**
 * Runs one request through its planned faults. A batch request of Ferry's
 * wire format (`{ ops: [{ idempotencyKey, method, target, payload }] }`) is
 * planned op by op, as if each op came alone: the ops before the first
 * fault that stops the batch are passed on together; a status fault answers
 * its op in the batch's `results` (the batch ends there, as a server ends it
 * at the first failure); a hang or a reset takes the whole request.
 * @param gone whether the client has left (it cannot hear a `Retry-After` then)
 * @param unanswered what the front end answers when the API gives no answer; without it the exchange ends `unanswered`
 */
export async function exchange(
  recorder: WireRecorder,
  req: Incoming,
  forward: Forward,
  gone: () => boolean,
  unanswered?: TextAnswer,
): Promise<Ending> {
  const forwardOr: Forward = async (body) => (await forward(body)) ?? unanswered;
  const planned = recorder.planRequest(req);
  if (planned === 'unmatched') return 'unmatched';
  if (planned.batch !== undefined) return exchangeBatch(recorder, req, planned.batch, forwardOr, gone);
  const { fault, entry } = planned;
  const canned = cannedAnswer(fault);
  if (canned !== undefined) {
    noteAnswer([entry], canned.status, retryAfterOf(canned.headers));
    return { answer: { ...canned, headers: { 'content-type': 'text/plain', ...canned.headers } } };
  }
  if (fault === 'hang' || fault === 'reset') return cut([entry], fault);
  await sleep(latencyOf(fault));
  const answer = await forwardOr(req.body);
  if (answer === undefined) return 'unanswered';
  entry.upstreamStatus = answer.status;
  if (fault === 'apply-and-drop' || fault === 'apply-and-hang') return cut([entry], fault);
  noteAnswer([entry], answer.status, answer.headers['retry-after'], !gone());
  return { answer };
}

async function exchangeBatch(
  recorder: WireRecorder,
  req: Incoming,
  batch: { ops: BatchOp[] },
  forward: Forward,
  gone: () => boolean,
): Promise<Ending> {
  const entries: LoggedRequest[] = [];
  const kept: BatchOp[] = [];
  let latency = 0;
  let stop: Fault = 'pass';
  for (const op of batch.ops) {
    const { fault, entry } = recorder.planOp(req, op);
    entries.push(entry);
    if (cannedAnswer(fault) !== undefined || fault === 'hang' || fault === 'reset') {
      stop = fault;
      break;
    }
    kept.push(op);
    latency += latencyOf(fault);
    if (fault === 'apply-and-drop' || fault === 'apply-and-hang') {
      stop = fault;
      break;
    }
  }
  await sleep(latency);
  let results: { status: number; retryAfter?: string }[] = [];
  let answer: TextAnswer | undefined;
  if (kept.length > 0) {
    answer = await forward(JSON.stringify({ ...batch, ops: kept }));
    if (answer === undefined) return 'unanswered';
    const parsed = answer.status < 300 ? parseResults(answer.body) : undefined;
    if (parsed === undefined) {
      // The API refused the batch as a whole: its answer goes back as it is.
      noteAnswer(entries.slice(0, kept.length), answer.status, answer.headers['retry-after'], !gone());
      return { answer };
    }
    results = parsed;
    parsed.forEach((r, i) => ((entries[i] as LoggedRequest).upstreamStatus = r.status));
  }
  if (stop === 'hang' || stop === 'reset' || stop === 'apply-and-drop' || stop === 'apply-and-hang')
    return cut(entries, stop);
  const canned = cannedAnswer(stop);
  const allOk = results.length === kept.length && results.every((r) => r.status < 300);
  const out: unknown[] = answer === undefined ? [] : (JSON.parse(answer.body) as { results: unknown[] }).results;
  if (canned !== undefined && allOk) {
    const retryAfter = retryAfterOf(canned.headers);
    const body = canned.body === '' ? undefined : bodyOf(canned.body, canned.headers);
    out.push({
      status: canned.status,
      ...(retryAfter !== undefined && { retryAfter }),
      ...(body !== undefined && { body }),
    });
    results.push({ status: canned.status, ...(retryAfter !== undefined && { retryAfter }) });
  }
  const heard = !gone();
  results.forEach((r, i) => noteAnswer([entries[i] as LoggedRequest], r.status, r.retryAfter, heard));
  const headers = { ...answer?.headers, 'content-type': 'application/json' };
  return { answer: { status: answer?.status ?? 200, headers, body: JSON.stringify({ results: out }) } };
}

function cut(entries: readonly LoggedRequest[], fault: 'hang' | 'reset' | 'apply-and-drop' | 'apply-and-hang'): Ending {
  const how = fault === 'hang' || fault === 'apply-and-hang' ? 'hang' : 'drop';
  for (const e of entries) e.outcome = how;
  return how;
}

function latencyOf(fault: Fault): number {
  return typeof fault === 'object' && 'latencyMs' in fault ? fault.latencyMs : 0;
}

/** A canned answer's body as a batch result carries it: parsed when it is JSON. */
function bodyOf(body: string, headers: Record<string, string>): unknown {
  const json = Object.entries(headers).some(([k, v]) => k.toLowerCase() === 'content-type' && v.includes('json'));
  try {
    return json ? (JSON.parse(body) as unknown) : body;
  } catch {
    return body;
  }
}

function parseResults(body: string): { status: number; retryAfter?: string }[] | undefined {
  try {
    const results = (JSON.parse(body) as { results?: unknown }).results;
    if (!Array.isArray(results)) return undefined;
    return results.map((r: { status?: unknown; retryAfter?: unknown }) => ({
      status: typeof r.status === 'number' ? r.status : 0,
      ...(typeof r.retryAfter === 'string' && { retryAfter: r.retryAfter }),
    }));
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
