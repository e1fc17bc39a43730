/**
 * One exchange with the transport: a single op or a batch. A transport that throws, or a batch answer that is not
 * an array or answers nothing of the first op, becomes that op's retryable failure: never an exception.
 */
import { errorMessage } from '../lib/errorMessage.ts';
import type { Operation } from '../Operation.ts';
import type { SendResult, Transport } from '../Transport.ts';

export async function sendOne(transport: Transport, op: Operation, signal: AbortSignal): Promise<SendResult> {
  try {
    return await transport.send(op, { signal });
  } catch (err) {
    return thrown(err);
  }
}

export async function sendBatch(
  transport: Transport,
  ops: readonly Operation[],
  signal: AbortSignal,
): Promise<SendResult[]> {
  try {
    const results = await transport.sendBatch?.(ops, { signal });
    if (!Array.isArray(results)) return [thrown(new TypeError('sendBatch did not answer with an array'))];
    // No answer even for the first op is that op's failed attempt: otherwise the batch would go again at once, forever.
    if (results[0] === undefined)
      return [{ ok: false, retryable: true, error: 'the batch answer had no result for its first op' }];
    // A result beyond the batch answers nothing Ferry sent.
    return results.slice(0, ops.length);
  } catch (err) {
    // The exchange failed as a whole: that is the first op's attempt; the rest were not attempted.
    return [thrown(err)];
  }
}

function thrown(err: unknown): SendResult {
  return { ok: false, retryable: true, error: `transport threw: ${errorMessage(err)}` };
}
