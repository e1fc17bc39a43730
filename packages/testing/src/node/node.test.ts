import { MemoryStore, Outbox } from '@ferry/core';
import type { SendResult } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { ScriptedTransport, VirtualClock, storeConformance } from './index.ts';

describe('@ferry/testing/node', () => {
  it('moves time only when told to, and answers sends from a script', async () => {
    const clock = new VirtualClock(1000);
    let fired = 0;
    clock.setTimeout(() => fired++, 50);
    clock.advance(49);
    expect(fired).toBe(0);
    clock.advance(1);
    expect([fired, clock.now()]).toEqual([1, 1050]);
    const transport = new ScriptedTransport((_op, nth): SendResult =>
      nth === 1 ? { ok: false, retryable: true, status: 503 } : { ok: true },
    );
    const outbox = new Outbox({ store: new MemoryStore(), clock });
    const op = await outbox.enqueue({ kind: 'k', target: '/a', payload: {} });
    expect((await transport.send(op)).ok).toBe(false);
    expect((await transport.send(op)).ok).toBe(true);
    expect(transport.timesSent(op.id)).toBe(2);
  });
});

// A restart reopens the same data, as the suite requires.
storeConformance('MemoryStore through @ferry/testing/node', () => {
  let last: MemoryStore | undefined;
  return { open: async () => (last = new MemoryStore(last ? { data: last.data } : {})) };
});
