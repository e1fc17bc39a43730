/** The host's enqueueBatch: one transaction, one outcome per op, a bad op failing alone. */
import { describe, expect, it } from 'vitest';
import { host, op, port } from './host.testSupport.ts';

describe('FerryHost.receive: enqueueBatch', () => {
  it('enqueueBatch writes its ops in one transaction and answers one outcome per op; a bad op fails alone', async () => {
    const { h, store, transport } = host({ platform: { isOnline: () => false } });
    await h.ready();
    const writes: string[] = [];
    const transaction = store.transaction.bind(store);
    store.transaction = ((mode, fn) => {
      if (mode === 'readwrite') writes.push(mode);
      return transaction(mode, fn);
    }) as typeof store.transaction;
    await h.receive({ v: 1, id: 'seed', type: 'enqueue', op: { ...op, id: 'taken' } }, port());
    writes.length = 0;
    const p = port();
    const ops = [
      { ...op, id: 'a' },
      { ...op, id: 'b', target: 'https://evil.example/x' },
      'not an op',
      { ...op, id: 'taken' },
      { ...op, id: 'c', lane: 'other' },
    ];
    await h.receive({ v: 1, id: 'eb', type: 'enqueueBatch', ops }, p);
    expect(p.replies).toEqual([
      {
        v: 1,
        id: 'eb',
        ok: true,
        result: [
          'a',
          { code: 'target-not-allowed', message: expect.any(String) },
          { code: 'invalid-operation', message: expect.any(String) },
          { code: 'duplicate-id', message: expect.any(String) },
          'c',
        ],
      },
    ]);
    // One group commit, optimistic (no look-up of each id); the stored id makes it go again with the
    // look-up, which finds the duplicate, and the rest commits: three transactions, only on a duplicate.
    expect(writes.length).toBeLessThanOrEqual(3);
    const l = port();
    await h.receive({ v: 1, id: 'l', type: 'list', query: {} }, l);
    expect((l.replies[0] as { result: { id: string }[] }).result.map((o) => o.id)).toEqual(['taken', 'a', 'c']);
    expect(transport.sent).toHaveLength(0);
    await h.close();
  });

  it('enqueueBatch without a duplicate is exactly one readwrite transaction, acknowledged after it committed', async () => {
    const { h, store } = host({ platform: { isOnline: () => false } });
    await h.ready();
    let commits = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (async (mode, fn) => {
      const result = await transaction(mode, fn);
      if (mode === 'readwrite') commits++;
      return result;
    }) as typeof store.transaction;
    const p = port();
    let commitsAtReply = -1;
    const post = p.postMessage.bind(p);
    p.postMessage = (m) => {
      commitsAtReply = commits;
      post(m);
    };
    await h.receive({ v: 1, id: 'eb', type: 'enqueueBatch', ops: ['x', 'y', 'z'].map((id) => ({ ...op, id })) }, p);
    // (The wake after it may compact, in a transaction of its own: only what came before the reply counts.)
    expect(commitsAtReply).toBe(1);
    expect(p.replies[0]).toMatchObject({ ok: true, result: ['x', 'y', 'z'] });
    await h.close();
  });
});
