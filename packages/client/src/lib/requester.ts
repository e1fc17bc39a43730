import type { Timers } from '@ferry/core';
import { FerryError } from '@ferry/core';
import type { Reply, RequestBody } from '@ferry/core/protocol';
import { PROTOCOL_VERSION } from '@ferry/core/protocol';
import { newId } from './newId.ts';

/** Whatever receives requests: a ServiceWorker, or the host running in the page. */
export interface PostTarget {
  postMessage(message: unknown, transfer: Transferable[]): void;
}

/**
 * Sends requests over a fresh MessageChannel each and waits for the reply
 * on it. Every request times out with `worker-timeout` rather than hanging
 * (a killed worker never answers); the target is looked up for each
 * request, so a restarted or updated worker is reached.
 */
export function requester(
  target: () => PostTarget | undefined | Promise<PostTarget | undefined>,
  timeoutMs: number,
  /** The app's name (see ferryNames): requests carry it, and only that app's host answers. */
  name: string | undefined,
  timers: Timers,
  /** Told about each request that failed, before its caller is. */
  failed?: (err: FerryError, type: RequestBody['type']) => void,
): (body: RequestBody) => Promise<unknown> {
  return (body) =>
    new Promise((resolve, reject) => {
      const id = newId();
      const { port1, port2 } = new MessageChannel();
      const finish = (err: FerryError | undefined, result?: unknown): void => {
        timers.clearTimeout(timer);
        port1.close();
        if (err) {
          failed?.(err, body.type);
          reject(err);
        } else resolve(result);
      };
      const timer = timers.setTimeout(
        () =>
          finish(
            new FerryError('worker-timeout', `the Ferry worker did not answer ${body.type} within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      port1.onmessage = (event: MessageEvent<Reply>) => {
        const r = event.data;
        if (r?.id !== id) return;
        if (r.ok) finish(undefined, r.result);
        else finish(FerryError.from(r.error));
      };
      Promise.resolve()
        .then(target)
        .then((t) => {
          if (!t)
            throw new FerryError(
              'unsupported',
              'no service worker to talk to: call register() first, or use page mode',
            );
          t.postMessage({ ...body, ferry: true, v: PROTOCOL_VERSION, id, ...(name !== undefined && { name }) }, [
            port2,
          ]);
        })
        .catch((err: unknown) => finish(toFerryError(err)));
    });
}

function toFerryError(err: unknown): FerryError {
  if (err instanceof FerryError) return err;
  // postMessage throws DataCloneError for a payload structured clone cannot copy.
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'DataCloneError') return new FerryError('payload-not-cloneable', (err as DOMException).message);
  return new FerryError('unsupported', String(err));
}
