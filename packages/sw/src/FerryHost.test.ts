import type { Operation, SendResult } from '@ferry/core';
import { ScriptedTransport } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { host, op, port } from './host.testSupport.ts';

describe('FerryHost.receive', () => {
  it('answers a malformed message with protocol-error and runs nothing', async () => {
    const { h, transport } = host();
    for (const data of [
      'x',
      { v: 1, id: 'a', type: 'enqueue ', op },
      { v: 2, id: 'b', type: 'enqueue', op },
      { v: 1, id: 'c', type: 'enqueue' },
    ]) {
      const p = port();
      await h.receive(data, p);
      expect(p.replies).toHaveLength(1);
      expect(p.replies[0]).toMatchObject({ v: 1, ok: false, error: { code: 'protocol-error' } });
    }
    const p = port();
    await h.receive({ v: 1, id: 's', type: 'stats' }, p);
    expect(p.replies[0]).toMatchObject({ ok: true, result: { pending: 0, inflight: 0, done: 0, failed: 0 } });
    expect(transport.sent).toHaveLength(0);
    await h.close();
  });

  it('enqueues, replies once durable, drains, broadcasts every change and asks for a sync', async () => {
    const { h, transport, channel, registered } = host();
    const p = port();
    await h.receive({ v: 1, id: 'e1', type: 'enqueue', op }, p);
    const reply = p.replies[0];
    expect(reply).toMatchObject({ v: 1, id: 'e1', ok: true, result: { status: 'pending', kind: 'message.send' } });
    const id = (reply as { result: { id: string } }).result.id;
    expect(transport.sent.map((o) => o.id)).toEqual([id]);
    expect(channel.sent.map((m) => m.change.type)).toEqual(['put', 'claim', 'done']);
    expect(channel.sent[2]).toEqual({
      v: 1,
      type: 'change',
      change: {
        type: 'done',
        lsn: expect.any(Number),
        op: {
          id,
          status: 'done',
          attempt: 1,
          nextAttemptAt: expect.any(Number),
          lane: 'default',
          kind: 'message.send',
          seq: expect.any(Number),
        },
      },
    });
    expect(registered).toEqual(['ferry']);
    await h.close();
  });

  it('answers an enqueue before it starts the drain, broadcasts the puts or asks for a sync; then does all three', async () => {
    const { h, transport, channel, registered } = host();
    for (const body of [
      { type: 'enqueue', op },
      { type: 'enqueueBatch', ops: [op, op] },
    ]) {
      const before = { broadcasts: channel.sent.length, syncs: registered.length, sent: transport.sent.length };
      let atReply: typeof before | undefined;
      const p = port();
      p.postMessage = (m) => {
        atReply = { broadcasts: channel.sent.length, syncs: registered.length, sent: transport.sent.length };
        p.replies.push(m);
      };
      await h.receive({ v: 1, id: 'e', ...body }, p);
      expect(p.replies[0]).toMatchObject({ ok: true });
      expect(atReply).toEqual(before);
      // Then all of it happened: the puts broadcast, a sync asked for (once: no sync event used it up), the ops sent.
      const puts = channel.sent.slice(before.broadcasts).filter((m) => m.change.type === 'put');
      expect(puts).toHaveLength(body.type === 'enqueue' ? 1 : 2);
      expect(registered).toEqual(['ferry']);
      expect(transport.sent.length).toBe(before.sent + puts.length);
    }
    await h.close();
  });

  it('asks for a sync once per registration: again after a sync event used it up, or after a refusal', async () => {
    let refuse = true;
    const registered: string[] = [];
    const { h } = host({
      platform: {
        isOnline: () => false,
        backgroundSync: () => ({
          register: async (tag) => {
            registered.push(tag);
            if (refuse) throw new Error('refused');
          },
        }),
      },
    });
    const enqueue = () => h.receive({ v: 1, id: 'e', type: 'enqueue', op }, port());
    await enqueue();
    refuse = false;
    await enqueue();
    await enqueue();
    expect(registered).toEqual(['ferry', 'ferry']);
    await h.onSync(false);
    await enqueue();
    await enqueue();
    expect(registered).toEqual(['ferry', 'ferry', 'ferry']);
    await h.close();
  });

  it('subscribe sees every committed change until its cleanup; a listener that throws is logged as host.error', async () => {
    const errors: unknown[] = [];
    const { h } = host({ logger: { sink: (e) => void errors.push(e.event) } });
    const seen: string[] = [];
    const off = h.subscribe((change) => void seen.push(change.type));
    h.subscribe(() => {
      throw new Error('listener');
    });
    await h.receive({ v: 1, id: 'e1', type: 'enqueue', op }, port());
    expect(seen).toEqual(['put', 'claim', 'done']);
    expect(errors).toEqual(['host.error', 'host.error', 'host.error']);
    off();
    await h.receive({ v: 1, id: 'e2', type: 'enqueue', op }, port());
    expect(seen).toHaveLength(3);
    await h.close();
  });

  it('turns an invalid op into a typed error reply', async () => {
    const { h } = host();
    const p = port();
    await h.receive({ v: 1, id: 'e', type: 'enqueue', op: { ...op, target: 'https://evil.example/x' } }, p);
    expect(p.replies[0]).toMatchObject({ ok: false, error: { code: 'target-not-allowed' } });
    const q = port();
    await h.receive({ v: 1, id: 'g', type: 'retry', opId: 'missing' }, q);
    expect(q.replies[0]).toMatchObject({ ok: false, error: { code: 'not-found' } });
    await h.close();
  });

  it('parks a permanent failure; retry re-sends it; remove deletes the dead letter', async () => {
    const transport = new ScriptedTransport((): SendResult => ({
      ok: false,
      retryable: false,
      status: 400,
      error: 'HTTP 400',
    }));
    const { h } = host({ transport });
    const p = port();
    await h.receive({ v: 1, id: 'e', type: 'enqueue', op }, p);
    const id = (p.replies[0] as { result: { id: string } }).result.id;
    const l = port();
    await h.receive({ v: 1, id: 'l', type: 'list', query: { status: 'failed' } }, l);
    expect(l.replies[0]).toMatchObject({ ok: true, result: [{ id, status: 'failed', lastError: { status: 400 } }] });
    await h.receive({ v: 1, id: 'r', type: 'retry', opId: id }, port());
    expect(transport.timesSent(id)).toBe(2);
    const d = port();
    await h.receive({ v: 1, id: 'd', type: 'remove', opId: id }, d);
    expect(d.replies[0]).toMatchObject({ ok: true, result: { id, status: 'failed' } });
    const g = port();
    await h.receive({ v: 1, id: 'g', type: 'get', opId: id }, g);
    expect(g.replies[0]).toMatchObject({ ok: true, result: null });
    await h.close();
  });

  it('retry with a filter re-sends the dead letters it picks, in enqueue order, each under a new key after its 400', async () => {
    let fail = true;
    const transport = new ScriptedTransport((): SendResult =>
      fail ? { ok: false, retryable: false, status: 400, error: 'HTTP 400' } : { ok: true },
    );
    const { h } = host({ transport });
    for (const lane of ['a', 'a', 'b'])
      await h.receive({ v: 1, id: 'e', type: 'enqueue', op: { ...op, lane } }, port());
    const l = port();
    await h.receive({ v: 1, id: 'l', type: 'list', query: { status: 'failed' } }, l);
    const failed = (l.replies[0] as { result: Operation[] }).result;
    expect(failed.map((o) => o.lane)).toEqual(['a', 'a', 'b']);
    fail = false;
    const r = port();
    await h.receive({ v: 1, id: 'r', type: 'retry', filter: { lane: 'a' } }, r);
    const back = (r.replies[0] as { result: Operation[] }).result;
    expect(back.map((o) => o.id)).toEqual(failed.slice(0, 2).map((o) => o.id));
    expect(back.every((o, i) => o.idempotencyKey !== failed[i]?.idempotencyKey)).toBe(true);
    expect(failed.map((o) => transport.timesSent(o.id))).toEqual([2, 2, 1]);
    await h.close();
  });
});
