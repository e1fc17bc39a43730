/** The host's runner: one at a time under the lock, taking back a dead runner's leases; compaction after drains. */
import type { LockManagerLike, SendResult } from '@ferry/core';
import { MemoryStore } from '@ferry/core';
import { ScriptedTransport } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { FerryHost } from './FerryHost.ts';
import { host, op, port } from './host.testSupport.ts';
import { testLocks, testPlatform } from './testing/index.ts';

describe('one runner at a time', () => {
  it('a runner that gets the lock takes back ops leased by a runner that died, and resends them with the same key', async () => {
    const store = new MemoryStore();
    const locks = testLocks();
    // Runner A hangs on its send forever: it "dies" holding a lease. Its lock is released as a dead holder's would be.
    const hang = new ScriptedTransport(() => new Promise<SendResult>(() => {}));
    const a = new FerryHost({
      storage: { store: async () => store },
      transport: hang,
      platform: testPlatform(),
      logger: { level: 'silent' },
    });
    // Not awaited: receive() resolves after the drain, which never ends here.
    void a.receive({ v: 1, id: 'e', type: 'enqueue', op }, port());
    // Wait until A's send started.
    await expect.poll(() => hang.sent.length).toBe(1);
    const b = host({ storage: { store: async () => store }, platform: { locks: () => locks } });
    await b.h.wake();
    expect(b.transport.sent).toHaveLength(1);
    expect(b.transport.sent[0]?.idempotencyKey).toBe(hang.sent[0]?.idempotencyKey);
    const s = port();
    await b.h.receive({ v: 1, id: 's', type: 'stats' }, s);
    expect(s.replies[0]).toMatchObject({ result: { done: 1, inflight: 0 } });
    expect(locks.held).toBe(0);
  });

  it("sends only while it holds the app's runner lock, and lets it go once the drain ended", async () => {
    const locks = testLocks();
    const asked: string[] = [];
    const spy: LockManagerLike = {
      request: (name, options, fn) => {
        asked.push(name);
        return locks.request(name, options, fn);
      },
    };
    let heldAtSend = -1;
    const transport = new ScriptedTransport(() => {
      heldAtSend = locks.held;
      return { ok: true };
    });
    const { h } = host({ transport, platform: { locks: () => spy } });
    await h.receive({ v: 1, id: 'e', type: 'enqueue', op }, port());
    expect(transport.sent).toHaveLength(1);
    expect(heldAtSend).toBe(1);
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set([h.names.lock]));
    expect(locks.held).toBe(0);
    await h.close();
  });
});

describe('FerryHost compaction', () => {
  it('compacts done ops past the retention after a drain, at most once an hour, never queued or failed ones', async () => {
    const { VirtualClock } = await import('@ferry/core/testing');
    const clock = new VirtualClock();
    const store = new MemoryStore({ clock });
    const transport = new ScriptedTransport((o) =>
      o.payload && (o.payload as { text?: string }).text === 'bad'
        ? { ok: false, retryable: false, status: 400 }
        : { ok: true },
    );
    const { h } = host({
      storage: { store: async () => store, retentionMs: 1000 },
      transport,
      platform: { clock, timers: clock },
    });
    const send = async (text: string): Promise<string> => {
      const p = port();
      await h.receive({ v: 1, id: text, type: 'enqueue', op: { ...op, payload: { text } } }, p);
      return (p.replies[0] as { result: { id: string } }).result.id;
    };
    const old = await send('old');
    const bad = await send('bad');
    await h.wake(); // delivers; the first compaction finds nothing old yet
    const ids = async () => (await store.transaction('readonly', (tx) => tx.listOps({}))).map((r) => r.id);
    expect(await ids()).toEqual([old, bad]);
    clock.advance(2000);
    const later = await send('later');
    await h.wake(); // within the hour: no compaction, although 'old' is past retention
    expect(await ids()).toEqual([old, bad, later]);
    clock.advance(60 * 60 * 1000);
    await h.wake(); // done ops past retention go; the failed one stays
    expect(await ids()).toEqual([bad]);
    expect((await store.transaction('readonly', (tx) => tx.getOp(bad)))?.status).toBe('failed');
    await h.close();
  });
});
