import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultHandler } from '../msw/FaultHandler.ts';
import type { Fault } from '../proxy/faults.ts';
import { checkDelivery } from './checkDelivery.ts';
import type { FinalOp } from './history.ts';

/**
 * Each invariant against a history recorded on the wire (the MSW fault
 * handler's log and a fake API's effects), made by a client or an API that
 * breaks it; the same run with the rule kept passes.
 */
let dedupe = true;
const applied: string[] = [];
const api = [
  http.post('http://api.test/api/*', ({ request }) => {
    const key = request.headers.get('idempotency-key') ?? '';
    if (!dedupe || !applied.includes(key)) applied.push(key);
    return HttpResponse.json({}, { status: 201 });
  }),
];
const faults = new FaultHandler({ api });
/** How long the next request waits before the fault handler reads it (a proxy busy for a moment). */
let nextReadDelayMs = 0;
const busy = http.all('*', async () => {
  const ms = nextReadDelayMs;
  nextReadDelayMs = 0;
  if (ms > 0) await sleep(ms);
});
const server = setupServer(busy, faults.handler);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  faults.reset();
  applied.length = 0;
  dedupe = true;
  nextReadDelayMs = 0;
});
afterAll(() => server.close());

const send = (key: string): Promise<number | 'failed'> =>
  fetch(`http://api.test/api/${key}`, { method: 'POST', headers: { 'Idempotency-Key': key }, body: '{}' }).then(
    (r) => r.status,
    () => 'failed' as const,
  );
/** Sends until a 2xx, waiting `wait(retryAfterMs)` between attempts. */
async function deliver(key: string, wait: (retryAfterMs: number) => number): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const status = await send(key);
    if (status !== 'failed' && status < 300) return;
    const last = faults.log.filter((r) => r.key === key).at(-1);
    await new Promise((r) => setTimeout(r, wait(last?.retryAfterMs ?? 0)));
  }
}
/**
 * A client that gives each attempt `timeoutMs` and stamps its `X-Sent-At`; it resends until a 2xx, after
 * `wait(retryAfterMs)` when it heard an answer, or after 150 ms when it gave up. Resolves what each attempt heard.
 */
async function deliverWithin(
  key: string,
  timeoutMs: number,
  wait: (retryAfterMs: number) => number,
): Promise<(number | 'timeout')[]> {
  const heard: (number | 'timeout')[] = [];
  for (let i = 0; i < 5; i++) {
    const headers = { 'Idempotency-Key': key, 'X-Sent-At': String(Date.now()) };
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await fetch(`http://api.test/api/${key}`, { method: 'POST', headers, body: '{}', signal }).catch(
      () => undefined,
    );
    heard.push(res?.status ?? 'timeout');
    if (res !== undefined && res.status < 300) break;
    await sleep(res === undefined ? 150 : wait(Number(res.headers.get('retry-after') ?? 0) * 1000));
  }
  return heard;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ops = (...ids: string[]): FinalOp[] =>
  ids.map((id, i) => ({ id, idempotencyKey: id, lane: 'lane', seq: i + 1, status: 'done' }));
const check = (acked: string[], stored = ops(...acked), clientTimeoutMs?: number) =>
  checkDelivery({
    wire: faults.log,
    effects: applied.map((key) => ({ key })),
    ops: stored,
    acked,
    ...(clientTimeoutMs !== undefined && { clientTimeoutMs }),
  });
const firstOnly =
  (fault: Fault) =>
  (_req: unknown, nth: number): Fault =>
    nth === 1 ? fault : 'pass';

describe('checkDelivery on recorded histories', () => {
  it('lost: an acknowledged op the client never sent', async () => {
    await deliver('a', () => 0);
    expect(check(['a']).ok).toBe(true);
    expect(check(['a', 'b'])).toMatchObject({ ok: false, counts: { lost: 1 } });
  });

  it('applied twice: an API that does not deduplicate a resend after a dropped answer', async () => {
    faults.plan = firstOnly('apply-and-drop');
    await deliver('a', () => 0);
    expect(check(['a'])).toMatchObject({ ok: true, counts: { duplicatesOnWire: 1, appliedTwice: 0 } });
    faults.reset();
    applied.length = 0;
    dedupe = false;
    await deliver('a', () => 0);
    expect(check(['a'])).toMatchObject({ ok: false, counts: { appliedTwice: 1 } });
  });

  it('order per lane: a client that sends a lane’s second op before its first', async () => {
    await deliver('a', () => 0);
    await deliver('b', () => 0);
    expect(check(['a', 'b']).ok).toBe(true);
    faults.reset();
    applied.length = 0;
    await deliver('b', () => 0);
    await deliver('a', () => 0);
    expect(check(['a', 'b'])).toMatchObject({ ok: false, counts: { orderViolations: 1 } });
  });

  it('early retry: a client that resends before the 503’s Retry-After is due', async () => {
    faults.plan = firstOnly({ status: 503, headers: { 'Retry-After': '1' } });
    await deliver('a', (ms) => ms);
    expect(check(['a'])).toMatchObject({ ok: true, counts: { duplicatesOnWire: 1 } });
    faults.reset();
    applied.length = 0;
    await deliver('a', () => 10);
    expect(check(['a'])).toMatchObject({ ok: false, counts: { earlyRetries: 1 } });
  });

  it('early retry, judged from what the client heard: a late read is not one, a resend inside Retry-After is', async () => {
    faults.plan = firstOnly({ status: 503, headers: { 'Retry-After': '1' } });
    // The handler reads the first request 150 ms after it was sent: the client, which waits 100 ms, has given up on
    // it before its 503 is written, and resends 150 ms later, inside the Retry-After it never heard.
    nextReadDelayMs = 150;
    expect(await deliverWithin('a', 100, (ms) => ms)).toEqual(['timeout', 201]);
    const [first, second] = faults.log;
    expect(second!.at).toBeLessThan(first!.answeredAt! + first!.retryAfterMs!);
    expect(first!.answeredAt!).toBeGreaterThan(first!.sentAt! + 100);
    expect(check(['a'], ops('a'), 100)).toMatchObject({ ok: true, counts: { duplicatesOnWire: 1, earlyRetries: 0 } });
    // The same client, read at once: it hears the 503 in time, and a resend 10 ms later is caught.
    faults.reset();
    applied.length = 0;
    expect(await deliverWithin('a', 100, () => 10)).toEqual([503, 201]);
    expect(check(['a'], ops('a'), 100)).toMatchObject({ ok: false, counts: { earlyRetries: 1 } });
  });
});
