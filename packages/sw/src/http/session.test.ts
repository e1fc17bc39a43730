/**
 * A refusal about the session holds the user's lanes instead of failing
 * them: 30 ops in 3 lanes meet a redirect to a login page, a `403 session
 * expired` or a `401` with no way to refresh; at most one op fails, all are
 * held with `needs-auth`, nothing more is sent, and after a release (new
 * credentials, a retry, syncNow) every op arrives in its lane's order.
 */
import { describe, expect, it } from 'vitest';
import { opaqueRedirect } from './testSupport.ts';
import type { Reply } from './testSupport.ts';
import { inOrder, world } from './testSupport.ts';

const ok = (): Response => new Response(null, { status: 201 });

describe('a session that ends with 30 ops queued in 3 lanes', () => {
  it.each<[string, () => Reply, number]>([
    ['a 302 to the login page', () => new Response(null, { status: 302, headers: { Location: '/login' } }), 0],
    ['an opaque redirect', () => opaqueRedirect(), 0],
    ['a 401 without a refresh hook', () => new Response(null, { status: 401 }), 0],
    ['a 403 "session expired"', () => new Response('session expired', { status: 403 }), 1],
  ])('%s: at most one fails, all are held with needs-auth, then arrive in order', async (_, refusal, failing) => {
    let expired = true;
    const w = world(() => (expired ? refusal() : ok()));
    for (const lane of ['a', 'b', 'c']) await w.enqueue(lane, 10);
    await w.run(10 * 60 * 1000);
    const held = await w.list();
    const failed = held.filter((o) => o.status === 'failed');
    expect(failed).toHaveLength(failing);
    expect(held.filter((o) => o.status === 'pending')).toHaveLength(30 - failing);
    // Each lane's head carries the reason; the ops behind it wait behind it.
    const heads = held.filter((o) => o.held !== undefined);
    expect(heads.map((o) => o.lane).sort()).toEqual(['a', 'b', 'c']);
    for (const h of heads) expect(h.held).toMatch(/^needs-auth: /);
    expect(held.every((o) => o.attempt === 0 || o.status === 'failed')).toBe(true);
    // Nothing more is sent once the session is known refused: a send per lane, and one more for a first 403.
    expect(w.requests.length).toBeLessThanOrEqual(3 + failing);
    expired = false;
    await w.releaseSessions();
    await w.run(60_000);
    const after = await w.list();
    expect(after.filter((o) => o.status !== 'done')).toEqual([]);
    expect(w.applied).toHaveLength(30);
    expect(new Set(w.applied.map((a) => `${a.lane}${a.n}`)).size).toBe(30);
    // The op the first 403 failed comes back through retry; its place is the Outbox's retry's to keep.
    const back = new Set(failed.map((o) => JSON.stringify(o.payload)));
    expect(inOrder(w.applied.filter((a) => !back.has(JSON.stringify(a))))).toBe(true);
  });

  it('a first 403 alone fails only its op (the op-level refusal), and the lane goes on', async () => {
    const w = world((req) => (req.payload?.n === 0 ? new Response('not yours', { status: 403 }) : ok()));
    const [denied] = await w.enqueue('a', 3);
    await w.run(60_000);
    const failed = await w.outbox.get(denied?.id as string);
    expect(failed).toMatchObject({ status: 'failed', answer: { status: 403, body: 'not yours' } });
    expect(w.applied.map((a) => a.n)).toEqual([1, 2]);
  });

  it("a 403 user-mismatch (the session is another user's) holds at once: nothing fails or is applied", async () => {
    const mismatch = { type: 'about:blank', status: 403, code: 'user-mismatch', detail: "another user's op" };
    const headers = { 'Content-Type': 'application/problem+json' };
    const refusal = (): Response => new Response(JSON.stringify(mismatch), { status: 403, headers });
    const w = world((req) => (req.headers.get('x-user') === 'alice' ? refusal() : ok()), {
      transport: { headers: (op) => ({ 'X-User': op.user ?? '' }) },
    });
    await w.enqueue('a', 2, 'alice');
    await w.run(60_000);
    const ops = await w.list();
    expect(ops.map((o) => o.status)).toEqual(['pending', 'pending']);
    expect(ops[0]?.held).toMatch(/^needs-auth: signed in as someone else/);
    expect(w.applied).toEqual([]);
  });

  it("holds only the refused user's lanes on that origin; another user's go on", async () => {
    const w = world((req) => (req.headers.get('x-user') === 'alice' ? new Response(null, { status: 302 }) : ok()), {
      transport: { headers: (op) => ({ 'X-User': op.user ?? '' }) },
    });
    await w.enqueue('a', 3, 'alice');
    await w.enqueue('b', 3, 'bob');
    await w.run(60_000);
    const ops = await w.list();
    expect(ops.filter((o) => o.user === 'alice').every((o) => o.status === 'pending')).toBe(true);
    expect(ops.filter((o) => o.user === 'bob').every((o) => o.status === 'done')).toBe(true);
  });
});
