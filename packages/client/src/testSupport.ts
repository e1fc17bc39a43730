/** The client tests' fakes: a worker that answers as told, a client of it on a virtual clock, and time driven. */
import type { VirtualClock } from '@ferry/core/testing';
import { createFerryClient } from './createFerryClient.ts';
import type { FerryClient } from './types.ts';

/** A fake worker: `answer` decides the reply to each request, or undefined to stay silent (a killed worker). */
export function fakeWorker(answer: (msg: Record<string, unknown>) => unknown) {
  const received: Record<string, unknown>[] = [];
  const worker = {
    received,
    answer,
    postMessage(msg: Record<string, unknown>, transfer: Transferable[]) {
      received.push(msg);
      const reply = worker.answer(msg);
      if (reply !== undefined) (transfer[0] as MessagePort).postMessage(reply);
    },
  };
  return worker;
}

/** Lets the messages already posted be delivered (a MessagePort delivers in a later task). */
export const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A change channel nobody posts on. */
export function channel() {
  return Object.assign(new EventTarget(), { close() {} });
}

/** The client options the tests vary. */
export interface ClientTimes {
  /** @default 250 */
  timeoutMs?: number;
  /** @default the client's */
  recheckMs?: number;
  /** @default 0: a request without an answer is not sent again */
  enqueueTimeoutMs?: number;
}

/** A client of `worker` whose timers (request timeouts, re-sends, re-checks) run on `clock` only. */
export function client(
  worker: { postMessage(msg: Record<string, unknown>, transfer: Transferable[]): void },
  clock: VirtualClock,
  times: ClientTimes = {},
): FerryClient {
  const container = { controller: worker } as unknown as ServiceWorkerContainer;
  return createFerryClient({
    platform: { serviceWorker: () => container, channel, clock, timers: clock },
    forwardEvents: false,
    timeoutMs: times.timeoutMs ?? 250,
    enqueueTimeoutMs: times.enqueueTimeoutMs ?? 0,
    ...(times.recheckMs !== undefined && { recheckMs: times.recheckMs }),
  });
}

/**
 * Moves `clock` on `stepMs` at a time until `work` settles, letting what was posted meanwhile be delivered
 * before each step; resolves or rejects as `work` does. Throws when `work` is still pending after `maxSteps`.
 */
export async function drive<T>(clock: VirtualClock, work: Promise<T>, stepMs: number, maxSteps = 1000): Promise<T> {
  let settled = false;
  const watched = work.finally(() => (settled = true));
  // Handled here too, so that a rejection while the clock still moves is not reported as unhandled.
  watched.catch(() => {});
  for (let step = 0; !settled; step++) {
    if (step === maxSteps) throw new Error(`still pending after ${maxSteps} steps of ${stepMs} ms`);
    await macrotask();
    if (!settled) clock.advance(stepMs);
  }
  return watched;
}
