/**
 * A 409 is "still in progress" only when it says so, and only for a while;
 * any other 409 (and every permanent refusal) is the app's answer, kept on
 * the failed op. Over a real Outbox, SyncWorker and HttpTransport with the
 * shipped retry defaults on a virtual clock.
 */
import type { Operation } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { HttpTransport } from './HttpTransport.ts';
import { ORIGIN, op as base, world } from './testSupport.ts';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

const PROBLEM = { 'Content-Type': 'application/problem+json' };
const DRAFT_TYPE = 'https://developer.example.com/idempotency';
const DRAFT_TITLE = 'A request is outstanding for this Idempotency-Key';

describe("the app's 409", () => {
  it("becomes a dead letter with the server's body after one send, and its lane goes on", async () => {
    const conflict = { error: 'version conflict', current: { v: 3, text: 'theirs' } };
    const w = world((req) => (req.payload?.n === 0 ? json(409, conflict) : json(201, {})));
    const [stale] = await w.enqueue('doc', 3);
    await w.run(60_000);
    const op = await w.outbox.get(stale?.id as string);
    const lastError = { status: 409, retryable: false, message: 'HTTP 409: version conflict' };
    expect(op).toMatchObject({ status: 'failed', attempt: 1, lastError });
    expect(op?.answer).toEqual({ status: 409, body: conflict });
    expect(w.requests.filter((r) => r.payload?.n === 0)).toHaveLength(1);
    expect(w.applied.map((a) => a.n)).toEqual([1, 2]);
  });

  it("a 422's validation errors are kept on the failed op too", async () => {
    const invalid = { type: 'https://app.example/problems/invalid', errors: [{ field: 'text', message: 'required' }] };
    const w = world(() => json(422, invalid, { 'Content-Type': 'application/problem+json' }));
    const [op] = await w.enqueue('a', 1);
    await w.run(10_000);
    const failed = await w.outbox.get(op?.id as string);
    expect(failed).toMatchObject({ status: 'failed', answer: { status: 422, body: invalid } });
  });
});

describe('a 409 "in progress"', () => {
  it.each([
    ['Retry-After', () => new Response(null, { status: 409, headers: { 'Retry-After': '1' } })],
    ["@ferry/server's problem", () => json(409, { type: 'about:blank', code: 'idempotency-key-in-use' }, PROBLEM)],
    ["the draft's problem type", () => json(409, { type: DRAFT_TYPE, title: DRAFT_TITLE })],
  ])('marked by %s, for ten minutes, is free for two minutes, then ends after maxAttempts', async (_, stuck) => {
    const w = world((req) => (req.payload?.n === 0 ? stuck() : json(201, {})));
    const [first] = await w.enqueue('a', 2);
    await w.run(2 * 60 * 1000 - 5_000);
    const early = await w.outbox.get(first?.id as string);
    expect(early).toMatchObject({ status: 'pending', attempt: 0, lastError: { status: 409, since: first?.createdAt } });
    await w.run(8 * 60 * 1000);
    const op = await w.outbox.get(first?.id as string);
    expect(op).toMatchObject({ status: 'failed', attempt: 8, lastError: { status: 409 } });
    const running = /^gave up after 8 attempts: HTTP 409: the first request with this key is still running after \d+ s/;
    expect(op?.lastError?.message).toMatch(running);
    expect(w.applied.map((a) => a.n)).toEqual([1]);
  });

  it("keeps the run's start on the op: a new transport (a restarted worker) still counts from it", async () => {
    const now = 1_700_000_000_000;
    const t = new HttpTransport({
      fetch: async () => new Response(null, { status: 409, headers: { 'Retry-After': '1' } }),
      origin: () => ORIGIN,
      clock: { now: () => now },
      reachability: false,
    });
    const op = (lastError?: Operation['lastError']): Operation => base({ id: 'x', ...(lastError && { lastError }) });
    const ctx = { signal: new AbortController().signal };
    expect(await t.send(op(), ctx)).toMatchObject({ free: true, since: now });
    const young = { message: 'HTTP 409', status: 409, retryable: true, at: now - 1000, since: now - 60_000 };
    expect(await t.send(op(young), ctx)).toMatchObject({ free: true, since: now - 60_000 });
    const old = { ...young, since: now - 121_000 };
    const spent = await t.send(op(old), ctx);
    expect(spent).toMatchObject({ ok: false, retryable: true, since: now - 121_000 });
    expect(spent.free).toBeUndefined();
    // A run broken by another answer starts again.
    expect(await t.send(op({ ...old, status: 503 }), ctx)).toMatchObject({ free: true, since: now });
  });
});
