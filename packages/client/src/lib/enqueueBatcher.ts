import type { OperationInput } from '@ferry/core';
import { FerryError } from '@ferry/core';
import type { EnqueueOutcome, Results } from '@ferry/core/protocol';
import { MAX_BATCH } from '@ferry/core/protocol';

interface Waiting {
  op: OperationInput;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

/** What the batcher sends: an `enqueueBatch`, or a lone `enqueue` when it falls back. */
export interface EnqueueSender {
  batch(ops: OperationInput[]): Promise<Results['enqueueBatch']>;
  single(op: OperationInput): Promise<Results['enqueue']>;
  /** How long a batch may be sent again after `worker-timeout` before its callers hear it. */
  deadlineMs: number;
  /** Wall-clock time, for the deadline. */
  now: () => number;
}

/**
 * Sends again after `worker-timeout` until a definite answer or the deadline:
 * the ops carry the ids the client made, and the host answers a repeat of an
 * op it already stored as success, so a repeat can never enqueue twice.
 */
async function untilAnswered<T>(send: () => Promise<T>, deadlineMs: number, now: () => number): Promise<T> {
  const end = now() + deadlineMs;
  for (;;) {
    try {
      return await send();
    } catch (err) {
      if ((err as FerryError).code !== 'worker-timeout' || now() >= end) throw err;
    }
  }
}

/**
 * Coalesces the `enqueue` calls made in one task (up to the microtask that
 * follows them) into one `enqueueBatch` request, which the host writes in
 * one group commit; each call still settles on its own op's outcome, after
 * commit. When the batch as a whole is refused before anything ran — an
 * older worker that does not know the message (`protocol-error`), or one op
 * the browser cannot clone (`payload-not-cloneable`, thrown by postMessage)
 * — each op is sent alone, so that only a bad op fails and only its caller
 * sees it.
 */
export function enqueueBatcher(send: EnqueueSender): (op: OperationInput) => Promise<string> {
  let waiting: Waiting[] = [];

  const now = send.now;
  const alone = (w: Waiting): void => {
    untilAnswered(() => send.single(w.op), send.deadlineMs, now).then((stored) => w.resolve(stored.id), w.reject);
  };

  const settle = (batch: Waiting[], outcomes: EnqueueOutcome[]): void => {
    batch.forEach((w, i) => {
      // A reply that is not one outcome per op is a protocol error for the ops it lacks.
      const o = Array.isArray(outcomes) ? (outcomes[i] as EnqueueOutcome | undefined) : undefined;
      if (typeof o === 'string') w.resolve(o);
      else w.reject(FerryError.from(o));
    });
  };

  const flush = (): void => {
    const all = waiting;
    waiting = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) {
      const batch = all.slice(i, i + MAX_BATCH);
      const ops = batch.map((w) => w.op);
      untilAnswered(() => send.batch(ops), send.deadlineMs, now).then(
        (outcomes) => settle(batch, outcomes),
        (err: unknown) => {
          const code = (err as FerryError).code;
          if (code === 'protocol-error' || (code === 'payload-not-cloneable' && batch.length > 1)) batch.forEach(alone);
          // Still no answer at the deadline, or a closed host: nobody knows which ops committed, so
          // every caller hears it (enqueueing again with the same op, id included, is safe).
          else for (const w of batch) w.reject(err);
        },
      );
    }
  };

  return (op) =>
    new Promise<string>((resolve, reject) => {
      if (waiting.push({ op, resolve, reject }) === 1) queueMicrotask(flush);
    });
}
