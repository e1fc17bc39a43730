import { describe, expect, it } from 'vitest';
import { createHandler } from './createHandler.ts';
import type { AppHandler } from './Idempotency.ts';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';

/** A session that is whoever the `cookie` header names (the app's verified session, in a test). */
const sessionUser = (req: Request): string | null =>
  /session=([^;]+)/.exec(req.headers.get('cookie') ?? '')?.[1] ?? null;

function app() {
  const applied: { user: string | null; text: unknown }[] = [];
  const handler: AppHandler = async (req) => {
    applied.push({ user: sessionUser(req), text: ((await req.json()) as { text?: unknown }).text });
    return Response.json({ ok: true }, { status: 201 });
  };
  const handle = createHandler({
    store: new MemoryIdempotencyStore(),
    scope: sessionUser,
    user: sessionUser,
    handler,
    batchPath: '/api/batch',
  });
  return { applied, handle };
}

const send = (path: string, body: unknown, headers: Record<string, string>) =>
  new Request(`http://app.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('the user check (Ferry-User against the session)', () => {
  it("refuses an op of Alice's sent with Bob's session with 403 user-mismatch, and applies nothing", async () => {
    const { applied, handle } = app();
    const res = await handle(
      send(
        '/api/notes',
        { text: 'alice note' },
        { 'idempotency-key': 'k1', 'ferry-user': 'alice', cookie: 'session=bob' },
      ),
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'user-mismatch', status: 403 });
    expect(applied).toEqual([]);
    // Once Alice is signed in again, the same key goes through: the refusal was not stored as its outcome.
    const again = await handle(
      send(
        '/api/notes',
        { text: 'alice note' },
        { 'idempotency-key': 'k1', 'ferry-user': 'alice', cookie: 'session=alice' },
      ),
    );
    expect(again.status).toBe(201);
    expect(applied).toEqual([{ user: 'alice', text: 'alice note' }]);
  });

  it('compares the percent-encoded user id, so any id fits a header', async () => {
    const { applied, handle } = app();
    const user = 'zoë@example.com';
    const headers = { 'idempotency-key': 'k2', 'ferry-user': encodeURIComponent(user), cookie: `session=${user}` };
    expect((await handle(send('/api/notes', { text: 'hi' }, headers))).status).toBe(201);
    expect(applied).toHaveLength(1);
  });

  it('leaves requests that name nobody, or a session of nobody, to the app', async () => {
    const { applied, handle } = app();
    expect(
      (await handle(send('/api/notes', { text: 'a' }, { 'idempotency-key': 'k3', cookie: 'session=bob' }))).status,
    ).toBe(201);
    // No session: the layer's scope answers 401, as it does for any keyed request without one.
    expect(
      (await handle(send('/api/notes', { text: 'b' }, { 'idempotency-key': 'k4', 'ferry-user': 'alice' }))).status,
    ).toBe(401);
    expect(applied.map((a) => a.text)).toEqual(['a']);
  });

  it('refuses each batch item of another user, with the problem body in its result', async () => {
    const { applied, handle } = app();
    const ops = [
      { id: 'o1', kind: 'note', target: '/api/notes', method: 'POST', idempotencyKey: 'b1', payload: { text: 'x' } },
    ];
    const res = await handle(send('/api/batch', { ops }, { 'ferry-user': 'alice', cookie: 'session=bob' }));
    const { results } = (await res.json()) as { results: { status: number; body?: { code?: string } }[] };
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 403, body: { code: 'user-mismatch' } });
    expect(applied).toEqual([]);
  });
});
