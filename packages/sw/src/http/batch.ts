import type { Operation, SendResult } from '@ferry/core';
import type { BatchItem, BatchResult } from '@ferry/core/batch';
import type { Deadline } from '../lib/deadline.ts';
import { readBody } from '../lib/readBody.ts';

/** A batch answer is a status and maybe a reason per op: anything near this size is not one. */
const MAX_BATCH_ANSWER_BYTES = 256 * 1024;

export function batchItem({ id, kind, target, method, idempotencyKey, payload }: Operation): BatchItem {
  return { id, kind, target, method, idempotencyKey, payload };
}

/** One item of a batch answer, as read: `{ status, error?, retryAfter?, body? }`, or why it is not one. */
export type RawItem = { [K in keyof BatchResult]?: unknown };

/**
 * Reads a 2xx batch answer `{ results: [...] }` within what is left of the
 * send's deadline: its items, or the first op's retryable failure when the
 * answer is cut short, not JSON, or has no results array.
 */
export async function readBatchAnswer(res: Response, d: Deadline): Promise<RawItem[] | SendResult> {
  const body = await readBody(res, MAX_BATCH_ANSWER_BYTES, Math.max(0, d.remaining()));
  const fail = (error: string): SendResult => ({ ok: false, retryable: true, status: res.status, error });
  if (!body.complete) return fail('batch answer cut short (too large, too slow, or broken off)');
  let answer: unknown;
  try {
    answer = JSON.parse(body.text);
  } catch (err) {
    return fail(`unreadable batch answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return fail('batch answer without a results array');
  return results.map((r: unknown) => (typeof r === 'object' && r !== null ? r : {}) as RawItem);
}

/** An item's `retryAfter` as a header value would be, or null. */
export function itemRetryAfter(item: RawItem): string | null {
  const v = item.retryAfter;
  return typeof v === 'number' ? String(v) : typeof v === 'string' ? v : null;
}
