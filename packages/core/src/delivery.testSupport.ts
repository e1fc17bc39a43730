/** What the delivery suites share: a fake server on a virtual clock, a worker over it, and runs of virtual time. */
import { MemoryStore } from './MemoryStore.ts';
import type { Operation, OperationInput } from './Operation.ts';
import { Outbox } from './outbox/Outbox.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { SendContext, SendResult, Transport } from './Transport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';

export const msg = (text: string, lane = 'chat'): OperationInput => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text },
  lane,
});
export const NO_ANSWER: SendResult = {
  ok: false,
  retryable: true,
  unanswered: true,
  free: true,
  error: 'network error: Failed to fetch',
};

/** A server as the worker sees it: answers after `latencyMs` of virtual time, by a script; tracks what is on the wire. */
export class FakeServer implements Transport {
  readonly applied: string[] = [];
  readonly sends = new Map<string, number>();
  readonly onWire = new Map<string, number>();
  maxOnWireOfOneOp = 0;
  maxOnWire = 0;
  latencyMs = 0;
  /** The end of the pause the origin asked for, if any. */
  pauseEnd: number | undefined;
  readonly signals: AbortSignal[] = [];
  readonly clock: VirtualClock;
  readonly answer: (op: Operation, nth: number) => SendResult;
  constructor(
    clock: VirtualClock,
    answer: (op: Operation, nth: number) => SendResult = () => ({ ok: true, status: 200 }),
  ) {
    this.clock = clock;
    this.answer = answer;
  }

  async send(op: Operation, ctx: SendContext): Promise<SendResult> {
    const nth = (this.sends.get(op.id) ?? 0) + 1;
    this.sends.set(op.id, nth);
    this.signals.push(ctx.signal);
    const wire = (this.onWire.get(op.id) ?? 0) + 1;
    this.onWire.set(op.id, wire);
    this.maxOnWireOfOneOp = Math.max(this.maxOnWireOfOneOp, wire);
    this.maxOnWire = Math.max(
      this.maxOnWire,
      [...this.onWire.values()].reduce((a, b) => a + b, 0),
    );
    try {
      if (this.latencyMs > 0) {
        // Like fetch: an aborted signal ends the wait with no answer.
        const aborted = await new Promise<boolean>((resolve) => {
          const handle = this.clock.setTimeout(() => resolve(false), this.latencyMs);
          ctx.signal.addEventListener('abort', () => (this.clock.clearTimeout(handle), resolve(true)), { once: true });
        });
        if (aborted) return { ok: false, retryable: true, unanswered: true, error: 'send aborted' };
      }
      const result = this.answer(op, nth);
      if (result.ok && !this.applied.includes(op.id)) this.applied.push(op.id);
      return result;
    } finally {
      this.onWire.set(op.id, (this.onWire.get(op.id) ?? 1) - 1);
    }
  }

  pausedUntil(): number | undefined {
    return this.pauseEnd !== undefined && this.pauseEnd > this.clock.now() ? this.pauseEnd : undefined;
  }
}

export function setup(answer?: (op: Operation, nth: number) => SendResult, owner = 'w1') {
  const clock = new VirtualClock();
  const store = new MemoryStore({ clock });
  const outbox = new Outbox({ store, clock });
  const server = new FakeServer(clock, answer);
  const worker = new SyncWorker({ outbox, transport: server, clock, timers: clock, owner });
  return { clock, store, outbox, server, worker };
}

export const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Drains while moving virtual time forward in `stepMs` steps until `ms` have passed or `done()` holds. */
export async function runFor(
  worker: SyncWorker,
  clock: VirtualClock,
  ms: number,
  done: () => boolean | Promise<boolean> = () => false,
  stepMs = 250,
): Promise<void> {
  const end = clock.now() + ms;
  let draining: Promise<number> | undefined;
  while (clock.now() < end && !(await done())) {
    draining ??= worker.drain().finally(() => (draining = undefined));
    await flush();
    clock.advance(stepMs);
    await flush();
  }
  await draining;
}

export const order = (ops: readonly Operation[]): string[] => ops.map((o) => o.id);
