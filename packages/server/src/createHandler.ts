import type { BatchOptions } from './BatchHandler.ts';
import { createBatchHandler } from './BatchHandler.ts';
import type { AppHandler, IdempotencyOptions } from './Idempotency.ts';
import { Idempotency } from './Idempotency.ts';

export interface HandlerOptions extends IdempotencyOptions {
  /** The app's own handler; every request but the batch goes through the idempotency layer to it. */
  handler: AppHandler;
  /** Where Ferry's batch endpoint answers (`batch({ target })` from @ferry/sw/batch); omitted, none. */
  batchPath?: string;
  /** Limits of the batch endpoint. */
  batch?: Omit<BatchOptions, 'dispatch'>;
}

/**
 * The whole server half as one Fetch API handler: the app's handler behind
 * the idempotency layer, and Ferry's batch endpoint at `batchPath`, whose
 * items go through the same layer exactly as if each came alone.
 */
export function createHandler(options: HandlerOptions): (req: Request) => Promise<Response> {
  const layer = new Idempotency(options);
  const single = layer.wrap(options.handler);
  if (options.batchPath === undefined) return single;
  const batch = createBatchHandler({
    maxKeyLength: options.maxKeyLength,
    ...options.batch,
    dispatch: (req) => single(req),
  });
  const path = options.batchPath;
  return (req) => (new URL(req.url).pathname === path ? batch(req) : single(req));
}
