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

  const alone = (w: Waiting): void => {
    send.single(w.op).then((stored) => w.resolve(stored.id), w.reject);
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
      send.batch(batch.map((w) => w.op)).then(
        (outcomes) => settle(batch, outcomes),
        (err: unknown) => {
          const code = (err as FerryError).code;
          if (code === 'protocol-error' || (code === 'payload-not-cloneable' && batch.length > 1)) batch.forEach(alone);
          // A timeout or a closed host: nobody knows which ops committed, so every caller hears it.
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
