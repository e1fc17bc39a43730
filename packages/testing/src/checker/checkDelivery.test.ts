import { describe, expect, it } from 'vitest';
import { checkDelivery } from './checkDelivery.ts';
import type { DeliveryHistory, FinalOp, WireRequest } from './history.ts';

const op = (id: string, lane: string, seq: number, status = 'done'): FinalOp => ({
  id,
  idempotencyKey: `k-${id}`,
  lane,
  seq,
  status,
});
const sent = (id: string, at: number, extra: Partial<WireRequest> = {}): WireRequest => ({
  key: `k-${id}`,
  at,
  outcome: 201,
  answeredAt: at + 5,
  ...extra,
});

/** Three ops over two lanes, each sent once and applied once, in order. */
function clean(): DeliveryHistory {
  return {
    ops: [op('a', 'x', 1), op('b', 'x', 2), op('c', 'y', 3)],
    acked: ['a', 'b', 'c'],
    wire: [sent('a', 0), sent('c', 1), sent('b', 10)],
    effects: [{ key: 'k-a' }, { key: 'k-c' }, { key: 'k-b' }],
  };
}

describe('checkDelivery', () => {
  it('passes a run where every op took effect once, in lane order', () => {
    const report = checkDelivery(clean());
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, counts: { acked: 3, wireRequests: 3, lost: 0, appliedTwice: 0 } });
  });

  it('counts resends of one key as duplicates on the wire, not as a violation', () => {
    const h = clean();
    const report = checkDelivery({ ...h, wire: [...h.wire, sent('b', 20, { outcome: 'drop' })] });
    expect(report).toMatchObject({ ok: true, counts: { duplicatesOnWire: 1 } });
  });

  // Each invariant below has a history that breaks it, and the checker must catch it.
  it('catches an acknowledged op that is no longer stored', () => {
    const h = clean();
    const report = checkDelivery({ ...h, ops: h.ops.filter((o) => o.id !== 'b') });
    expect(report).toMatchObject({ ok: false, counts: { lost: 1 } });
    expect(report.problems).toEqual(['lost: acknowledged op b is no longer stored']);
  });

  it('catches an acknowledged op still pending, or done without an effect', () => {
    const h = clean();
    const pending = checkDelivery({ ...h, ops: [op('a', 'x', 1, 'pending'), ...h.ops.slice(1)] });
    expect(pending).toMatchObject({ ok: false, counts: { lost: 1 } });
    const unapplied = checkDelivery({ ...h, effects: h.effects.filter((e) => e.key !== 'k-c') });
    expect(unapplied).toMatchObject({ ok: false, counts: { lost: 1 } });
    expect(unapplied.problems[0]).toContain('op c is done, never applied');
  });

  it('catches an op applied twice, also across keys when effects name their op', () => {
    const h = clean();
    expect(checkDelivery({ ...h, effects: [...h.effects, { key: 'k-a' }] })).toMatchObject({
      ok: false,
      counts: { appliedTwice: 1 },
    });
    // The op was retried under a new key: both effects carry its tag.
    const tagged: DeliveryHistory = {
      ...h,
      opName: (o) => o.id,
      effects: [
        { key: 'k-a', op: 'a' },
        { key: 'k-a2', op: 'a' },
        { key: 'k-b', op: 'b' },
        { key: 'k-c', op: 'c' },
      ],
    };
    expect(checkDelivery(tagged)).toMatchObject({ ok: false, counts: { appliedTwice: 1 } });
  });

  it('catches a lane whose later op reached the API first', () => {
    const h = clean();
    const report = checkDelivery({ ...h, wire: [sent('b', 0), sent('a', 5), sent('c', 6)] });
    expect(report).toMatchObject({ ok: false, counts: { orderViolations: 1 } });
    expect(report.problems).toEqual(['order: lane x: seq 2 reached the API before seq 1']);
  });

  it("reads the effects' order with order: 'applied'", () => {
    const h = clean();
    const swapped = { ...h, effects: [{ key: 'k-b' }, { key: 'k-a' }, { key: 'k-c' }] };
    expect(checkDelivery(swapped).ok).toBe(true);
    expect(checkDelivery({ ...swapped, order: 'applied' })).toMatchObject({
      ok: false,
      counts: { orderViolations: 1 },
    });
  });

  it('catches a request sent before the last answer’s Retry-After was due, unless a worker stop lies between', () => {
    const h = clean();
    const busy = sent('a', 0, { outcome: 503, answeredAt: 10, retryAfterMs: 1000 });
    const early = { ...h, wire: [busy, sent('a', 500), sent('c', 600), sent('b', 700)] };
    const report = checkDelivery(early);
    expect(report).toMatchObject({ ok: false, counts: { earlyRetries: 1 } });
    expect(report.problems[0]).toMatch(/^early retry: key k-a: sent again 510 ms before its Retry-After was due/);
    expect(checkDelivery({ ...early, workerStops: [[100, 200]] }).ok).toBe(true);
    const onTime = { ...h, wire: [busy, sent('a', 1010), sent('c', 1020), sent('b', 1030)] };
    expect(checkDelivery(onTime).ok).toBe(true);
  });

  it('counts a Retry-After as heard only when written before the client gave up (its send, else arrival, + timeout)', () => {
    const h = clean();
    // Read 900 ms after the client sent it, which waits 800 ms: answered at once, but to a client already gone.
    const lateRead = sent('a', 900, { sentAt: 0, outcome: 503, answeredAt: 900, retryAfterMs: 1000 });
    const late = { ...h, wire: [lateRead, sent('a', 1000, { sentAt: 950 }), sent('c', 1100), sent('b', 1200)] };
    expect(checkDelivery(late)).toMatchObject({ ok: false, counts: { earlyRetries: 1 } });
    expect(checkDelivery({ ...late, clientTimeoutMs: 800 })).toMatchObject({ ok: true, counts: { earlyRetries: 0 } });
    // Sent 50 ms before it was read: the client heard the 503, and its resend 100 ms later is early.
    const inTime = { ...late, clientTimeoutMs: 800, wire: [{ ...lateRead, sentAt: 850 }, ...late.wire.slice(1)] };
    expect(checkDelivery(inTime)).toMatchObject({ ok: false, counts: { earlyRetries: 1 } });
    // No stamp: the arrival stands in, so an answer written more than the timeout after it was not heard.
    const slow = sent('a', 0, { outcome: 503, answeredAt: 900, retryAfterMs: 1000 });
    const unstamped = { ...h, clientTimeoutMs: 800, wire: [slow, sent('a', 1000), sent('c', 1100), sent('b', 1200)] };
    expect(checkDelivery(unstamped).ok).toBe(true);
    expect(checkDelivery({ ...unstamped, clientTimeoutMs: 1000 }).ok).toBe(false);
  });

  it('accepts a planned refusal only when the op failed with a status the API answered', () => {
    const h = clean();
    const failed: FinalOp = { ...op('c', 'y', 3, 'failed'), lastError: { status: 422, message: 'HTTP 422' } };
    const refusal = {
      ...h,
      ops: [...h.ops.slice(0, 2), failed],
      wire: [sent('a', 0), sent('c', 1, { outcome: 422 }), sent('b', 10)],
      effects: h.effects.filter((e) => e.key !== 'k-c'),
      refused: new Set(['c']),
    };
    expect(checkDelivery(refusal)).toMatchObject({ ok: true, counts: { refused: 1 } });
    const otherStatus = { ...refusal, wire: [sent('a', 0), sent('c', 1, { outcome: 400 }), sent('b', 10)] };
    expect(checkDelivery(otherStatus)).toMatchObject({ ok: false, counts: { lost: 1, refused: 0 } });
  });
});
