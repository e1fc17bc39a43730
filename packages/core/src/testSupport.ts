/** What the SyncWorker suites share: an op input, a seeded PRNG, a worker on a virtual clock, a wait. */
import { MemoryStore } from './MemoryStore.ts';
import { NetworkProbe } from './NetworkProbe.ts';
import type { OperationInput } from './Operation.ts';
import { Outbox } from './outbox/Outbox.ts';
import type { RetryPolicyOptions } from './RetryPolicy.ts';
import { SyncWorker } from './SyncWorker.ts';
import { ScriptedTransport } from './testing/ScriptedTransport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';

export const msg = (text: string, lane?: string): OperationInput => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text },
  ...(lane === undefined ? {} : { lane }),
});

/** A seeded PRNG (Park–Miller), so a failing run can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
}

/** An outbox on a memory store, a scripted transport and a worker (owner `w1`), all on one virtual clock. */
export function setup(
  opts: {
    retry?: Partial<RetryPolicyOptions>;
    online?: () => boolean;
    script?: ConstructorParameters<typeof ScriptedTransport>[0];
  } = {},
) {
  const clock = new VirtualClock();
  const outbox = new Outbox({ store: new MemoryStore({ clock }), clock, retry: opts.retry ?? {} });
  const transport = new ScriptedTransport(opts.script);
  const probe = new NetworkProbe(opts.online ?? (() => true));
  const worker = new SyncWorker({ outbox, transport, probe, clock, timers: clock, owner: 'w1' });
  return { clock, outbox, transport, probe, worker };
}

/** Polls `cond` every millisecond of real time; throws after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}
