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
const server = setupServer(faults.handler);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  faults.reset();
  applied.length = 0;
  dedupe = true;
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
const ops = (...ids: string[]): FinalOp[] =>
  ids.map((id, i) => ({ id, idempotencyKey: id, lane: 'lane', seq: i + 1, status: 'done' }));
const check = (acked: string[], stored = ops(...acked)) =>
  checkDelivery({ wire: faults.log, effects: applied.map((key) => ({ key })), ops: stored, acked });
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
});
