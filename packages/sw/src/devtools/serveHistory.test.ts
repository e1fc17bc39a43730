import type { Reply, HistoryResult } from '@ferry/core/protocol';
import { MAX_HISTORY_LIMIT, MAX_HISTORY_SCAN } from '@ferry/core/protocol';
import type { OutboxStore, WalRecord } from '@ferry/core';
import { MemoryStore, Outbox } from '@ferry/core';
import { ScriptedTransport, VirtualClock } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { host, op, port } from '../host.testSupport.ts';
import { devtoolsHost } from './index.ts';
import { serveHistory } from './serveHistory.ts';

async function ask(h: ReturnType<typeof host>['h'], body: Record<string, unknown>): Promise<Reply> {
  const p = port();
  await h.receive({ v: 1, id: 'q', ...body }, p);
  return p.replies[0]!;
}

describe('the history request', () => {
  it('lists every WAL transition of an op, in order, as the change feed saw them: failure, retry, delivery', async () => {
    // The first send is refused (a dead letter), the retried one delivered.
    const transport = new ScriptedTransport((_, nth) =>
      nth === 1 ? { ok: false, retryable: false, status: 422, error: 'bad' } : { ok: true },
    );
    const { h, channel } = host({ transport, devtools: devtoolsHost });
    const other = await ask(h, { type: 'enqueue', op: { ...op, lane: 'b' } });
    const put = await ask(h, { type: 'enqueue', op });
    const id = (put as { result: { id: string } }).result.id;
    await ask(h, { type: 'retry', opId: id });
    await h.wake();
    const reply = await ask(h, { type: 'history', query: { opId: id } });
    expect(reply.ok).toBe(true);
    const { records, complete } = (reply as { result: HistoryResult }).result;
    const seen = channel.sent.filter((m) => m.change.op.id === id);
    expect(records.map((r) => [r.type, r.lsn])).toEqual(seen.map((m) => [m.change.type, m.change.lsn]));
    expect(records.map((r) => r.type)).toEqual(['put', 'claim', 'fail', 'requeue', 'claim', 'done']);
    expect(records[2]).toMatchObject({ status: 'failed', error: { status: 422, retryable: false } });
    expect(records[1]!.leaseOwner).toEqual(expect.any(String));
    expect(complete).toBe(true);
    // Without an op id: every record, the other op's too.
    const all = (await ask(h, { type: 'history', query: {} })) as { result: HistoryResult };
    expect(all.result.records).toHaveLength(channel.sent.length);
    expect(other.ok).toBe(true);
    await h.close();
  });

  it('is refused with unsupported by a host without the devtools option', async () => {
    const { h } = host();
    expect(await ask(h, { type: 'history', query: {} })).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    await h.close();
  });

  it.each([
    ['no query', {}],
    ['a numeric opId', { query: { opId: 7 } }],
    ['an empty opId', { query: { opId: '' } }],
    ['a negative fromLsn', { query: { fromLsn: -1 } }],
    ['a fractional fromLsn', { query: { fromLsn: 1.5 } }],
    ['a limit of 0', { query: { limit: 0 } }],
    ['a limit over MAX_HISTORY_LIMIT', { query: { limit: MAX_HISTORY_LIMIT + 1 } }],
  ])('is refused with protocol-error with %s', async (_, body) => {
    const { h } = host({ devtools: devtoolsHost });
    expect(await ask(h, { type: 'history', ...body })).toMatchObject({ ok: false, error: { code: 'protocol-error' } });
    await h.close();
  });

  it('reads only the known fields of the query', async () => {
    const { h, store } = host({ devtools: devtoolsHost });
    await ask(h, { type: 'enqueue', op });
    const reply = (await ask(h, { type: 'history', query: { limit: 1, fromLsn: 0, scan: 1e9 } })) as {
      result: HistoryResult;
    };
    expect(reply.result.records).toHaveLength(1);
    void store;
    await h.close();
  });

  it('keeps the history past retentionMs with storage.historyRetentionMs', async () => {
    const hour = 60 * 60 * 1000;
    const left = async (historyRetentionMs?: number): Promise<number> => {
      const clock = new VirtualClock();
      const store = new MemoryStore({ clock });
      const storage = { store: async () => store, retentionMs: 1000, historyRetentionMs };
      const { h } = host({ devtools: devtoolsHost, storage, platform: { clock, timers: clock } });
      await ask(h, { type: 'enqueue', op });
      // Compaction runs after a drain, at most hourly: this wake's drain compacts.
      clock.advance(2 * hour);
      await h.wake();
      const reply = (await ask(h, { type: 'history', query: {} })) as { result: HistoryResult };
      await h.close();
      return reply.result.records.length;
    };
    expect(await left()).toBe(0);
    expect(await left(3 * hour)).toBe(3);
  });
});

describe('serveHistory', () => {
  async function filled(n: number): Promise<{ store: MemoryStore; ids: string[] }> {
    const store = new MemoryStore();
    const outbox = new Outbox({ store });
    // Concurrent enqueues share group commits; their records keep the order of the calls.
    const ops = await Promise.all(Array.from({ length: n }, (_, i) => outbox.enqueue({ ...op, lane: `l${i % 3}` })));
    return { store, ids: ops.map((o) => o.id) };
  }

  it('keeps the newest `limit` records and says where to go on', async () => {
    const { store, ids } = await filled(10);
    const r = await serveHistory(store, { limit: 4 });
    expect(r.records.map((x) => x.opId)).toEqual(ids.slice(6));
    expect(r).toMatchObject({ next: r.records.at(-1)!.lsn + 1, complete: true });
    const after = await serveHistory(store, { fromLsn: r.next });
    expect(after).toEqual({ records: [], next: r.next, complete: true });
    const from = await serveHistory(store, { fromLsn: r.records[1]!.lsn, opId: ids[8]! });
    expect(from.records.map((x) => x.opId)).toEqual([ids[8]]);
  });

  it(`scans at most MAX_HISTORY_SCAN records per request; the next request goes on from there`, async () => {
    // A WAL of put records for ops `op1`… (the store's other verbs are not used by serveHistory).
    const n = MAX_HISTORY_SCAN + 3;
    const wal = Array.from({ length: n }, (_, i): WalRecord => ({
      v: 1,
      lsn: i + 1,
      type: 'put',
      opId: `op${i}`,
      at: i,
    }));
    const walFrom = async (from: number, limit: number) => wal.filter((r) => r.lsn >= from).slice(0, limit);
    const store = {
      transaction: (_: unknown, fn: (tx: unknown) => unknown) => fn({ walFrom }),
    } as unknown as OutboxStore;
    const last = `op${n - 1}`;
    const first = await serveHistory(store, { opId: last });
    expect(first).toMatchObject({ records: [], complete: false });
    const second = await serveHistory(store, { opId: last, fromLsn: first.next });
    expect(second.records.map((x) => x.opId)).toEqual([last]);
    expect(second.complete).toBe(true);
  });
});
