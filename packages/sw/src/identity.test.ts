/**
 * Whose ops, whose credentials: ops carry their user, go out with that
 * user's credentials only, and wait (spending nothing) while there are
 * none. Driven through the host's protocol, with the real HttpTransport
 * over a fake fetch that plays an API checking bearer tokens.
 */
import type { Operation } from '@ferry/core';
import { MemoryStore } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { credentials } from './credentials/index.ts';
import { API, ORIGIN, asked, codeOf, everything, setup } from './testSupport.ts';

describe('users and credentials', () => {
  it("holds a user's ops without credentials, asks the pages, and sends them with that user's once given", async () => {
    const { host, call, enqueue, byText, ch, server } = setup();
    const a1 = await enqueue('a1', 'alice');
    await host.wake();
    expect(server.seen).toHaveLength(0);
    expect(await call({ type: 'get', opId: a1.id })).toMatchObject({
      status: 'pending',
      attempt: 0,
      held: expect.stringContaining('alice'),
    });
    expect(asked(ch)).toEqual([{ v: 1, type: 'credentials-needed', user: 'alice', origin: ORIGIN, reason: 'missing' }]);
    await call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer ta' } } });
    await host.wake();
    expect(byText()).toEqual(['a1:Bearer ta']);
    expect(await call({ type: 'get', opId: a1.id })).toMatchObject({ status: 'done', attempt: 1 });
    await host.close();
  });

  it("an account switch: A's ops kept at sign-out go only with A's credentials after A is back; B's only with B's", async () => {
    const { host, call, enqueue, byText, net } = setup();
    await call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer ta' } } });
    // Queued offline: not sent yet.
    net.online = false;
    const a = [await enqueue('a1', 'alice'), await enqueue('a2', 'alice')];
    expect(await call({ type: 'signOut', user: 'alice', discard: false })).toEqual({ unsent: 2, discarded: 0 });
    await call({ type: 'setCredentials', user: 'bob', credentials: { headers: { Authorization: 'Bearer tb' } } });
    await enqueue('b1', 'bob');
    net.online = true;
    await host.wake();
    expect(byText()).toEqual(['b1:Bearer tb']);
    expect(await call({ type: 'stats', query: { user: 'alice' } })).toEqual({
      pending: 2,
      inflight: 0,
      done: 0,
      failed: 0,
    });
    expect((await call<Operation[]>({ type: 'list', query: { user: 'alice' } })).map((o) => o.id)).toEqual(
      a.map((o) => o.id),
    );
    // Signed out, alice's credentials are refused until a page signs her in again.
    expect(
      await codeOf(
        call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer ta' } } }),
      ),
    ).toBe('signed-out');
    const { epoch } = await call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    await call({
      type: 'setCredentials',
      user: 'alice',
      credentials: { headers: { Authorization: 'Bearer ta' } },
      epoch,
    });
    await host.wake();
    expect(byText()).toEqual(['b1:Bearer tb', 'a1:Bearer ta', 'a2:Bearer ta']);
    await host.close();
  });

  it("a sign-out with discard deletes that user's unsent ops and nobody else's", async () => {
    const { host, call, enqueue } = setup();
    await enqueue('a1', 'alice');
    await enqueue('a2', 'alice');
    const b = await enqueue('b1', 'bob');
    const anon = await enqueue('n1');
    expect(await call({ type: 'signOut', user: 'alice', discard: true })).toEqual({ unsent: 2, discarded: 2 });
    expect((await call<Operation[]>({ type: 'list', query: {} })).map((o) => o.id)).toEqual([b.id, anon.id]);
    await host.close();
  });

  it('a 401 then fresh credentials from a page: sent again at once, no attempt spent', async () => {
    const valid = new Map([['new', 'alice']]);
    const { host, call, enqueue, byText, ch } = setup(valid);
    await call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer old' } } });
    // The page's provider: refreshes when asked.
    const post = ch.postMessage.bind(ch);
    ch.postMessage = (m) => {
      post(m);
      if ((m as { type?: string }).type === 'credentials-needed') {
        void call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer new' } } });
      }
    };
    const a1 = await enqueue('a1', 'alice');
    await host.wake();
    expect(byText()).toEqual(['a1:Bearer old', 'a1:Bearer new']);
    expect(await call({ type: 'get', opId: a1.id })).toMatchObject({ status: 'done', attempt: 1 });
    expect(asked(ch)).toMatchObject([{ user: 'alice', reason: 'refused' }]);
    await host.close();
  });

  it('a refresh that fails for a while (the auth server answers 503) holds the lane, then delivers', async () => {
    const valid = new Map([['new', 'alice']]);
    const { host, call, enqueue, byText } = setup(valid);
    await call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer old' } } });
    const a1 = await enqueue('a1', 'alice');
    const a2 = await enqueue('a2', 'alice');
    await host.wake();
    // Nobody answered the ask within the send's time: held, not failed, nothing spent.
    expect(await call({ type: 'get', opId: a1.id })).toMatchObject({
      status: 'pending',
      attempt: 0,
      held: expect.any(String),
      lastError: { status: 401 },
    });
    await host.wake();
    expect(byText()).toEqual(['a1:Bearer old']);
    await call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer new' } } });
    await host.wake();
    expect(byText()).toEqual(['a1:Bearer old', 'a1:Bearer new', 'a2:Bearer new']);
    expect(await call({ type: 'get', opId: a2.id })).toMatchObject({ status: 'done' });
    await host.close();
  });

  it('credentials refused again right after new ones spend an attempt each time', async () => {
    const { host, call, enqueue } = setup(new Map(), { retry: { jitter: false, maxAttempts: 2 } });
    const a1 = await enqueue('a1', 'alice');
    for (const token of ['t1', 't2', 't3']) {
      await call({
        type: 'setCredentials',
        user: 'alice',
        credentials: { headers: { Authorization: `Bearer ${token}` } },
      });
      await host.wake();
    }
    const op = await call<Operation>({ type: 'get', opId: a1.id });
    // t1: a first refusal (free); t2 and t3: refused again after new ones: two attempts, the budget.
    expect(op).toMatchObject({ status: 'failed', attempt: 2, lastError: { status: 401 } });
    await host.close();
  });

  it('a 403 fails the op with its reason and does not refresh', async () => {
    const { host, call, enqueue, ch } = setup();
    await call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer ta' } } });
    const op = await enqueue('forbidden', 'alice');
    await host.wake();
    expect(await call({ type: 'get', opId: op.id })).toMatchObject({
      status: 'failed',
      lastError: { status: 403, message: expect.stringContaining('not yours') },
    });
    expect(asked(ch)).toEqual([]);
    await host.close();
  });

  it('expired credentials are not used: the op waits and the pages are asked', async () => {
    const { host, call, enqueue, byText, ch } = setup();
    await call({
      type: 'setCredentials',
      user: 'alice',
      credentials: { headers: { Authorization: 'Bearer ta' }, expiresAt: Date.now() - 1 },
    });
    await enqueue('a1', 'alice');
    await host.wake();
    expect(byText()).toEqual([]);
    expect(asked(ch)).toMatchObject([{ user: 'alice', reason: 'expired' }]);
    await host.close();
  });

  it('credentials per origin: an allow-listed API gets its own, and its credentials mode', async () => {
    const { host, call, enqueue, server } = setup(undefined, {
      allowedOrigins: [{ origin: 'https://API.example:443/', credentials: 'include' }],
    });
    await call({ type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer ta' } } });
    await enqueue('own', 'alice');
    await enqueue('api', 'alice', `${API}/messages`);
    await host.wake();
    // The API's credentials were never given: only the app's own went.
    expect(server.seen.map((s) => [s.url, s.auth, s.credentials])).toEqual([
      [`${ORIGIN}/api/messages`, 'Bearer ta', 'same-origin'],
    ]);
    await call({
      type: 'setCredentials',
      user: 'alice',
      credentials: { headers: { Authorization: 'Bearer ta' }, origin: API },
    });
    await host.wake();
    expect(server.seen.slice(1).map((s) => [s.url, s.auth, s.credentials])).toEqual([
      [`${API}/messages`, 'Bearer ta', 'include'],
    ]);
    await host.close();
  });

  it('bad input is a typed invalid-argument each, and nothing stored changes', async () => {
    const { host, call, enqueue, store } = setup();
    await enqueue('a1', 'alice');
    const before = JSON.stringify([...store.data.ops.values()]);
    const bad: Record<string, unknown>[] = [
      { type: 'setCredentials', user: '', credentials: { headers: {} } },
      { type: 'setCredentials', user: 42, credentials: { headers: {} } },
      { type: 'setCredentials', user: 'alice', credentials: { headers: 'Bearer x' } },
      { type: 'setCredentials', user: 'alice', credentials: { headers: [['Authorization', 'x']] } },
      { type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 7 } } },
      { type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'a\r\nX-Evil: 1' } } },
      { type: 'setCredentials', user: 'alice', credentials: { headers: { 'Idempotency-Key': 'k' } } },
      { type: 'setCredentials', user: 'alice', credentials: { headers: {}, expiresAt: 'soon' } },
      { type: 'setCredentials', user: 'alice', credentials: { headers: {}, origin: 'https://evil.example' } },
      { type: 'signOut', user: null },
    ];
    for (const body of bad) expect([body, await codeOf(call(body))]).toEqual([body, 'invalid-argument']);
    expect(await codeOf(call({ type: 'enqueue', op: { kind: 'k', target: '/x', payload: null, user: '' } }))).toBe(
      'invalid-operation',
    );
    expect(JSON.stringify([...store.data.ops.values()])).toBe(before);
    await host.close();
  });

  it('no token is stored unless the app opts in; with credentials.persist a new worker can send', async () => {
    const plain = setup();
    await plain.call({
      type: 'setCredentials',
      user: 'alice',
      credentials: { headers: { Authorization: 'Bearer ta' } },
    });
    await plain.enqueue('a1', 'alice');
    await plain.host.wake();
    expect(everything(plain.store)).toContain('a1');
    expect(everything(plain.store)).not.toContain('Bearer');
    await plain.host.close();

    const store = new MemoryStore();
    const first = setup(undefined, { credentials: credentials({ persist: true }) }, store);
    await first.call({
      type: 'setCredentials',
      user: 'alice',
      credentials: { headers: { Authorization: 'Bearer ta' } },
    });
    await first.host.close();
    // The worker was stopped; a sync event wakes a new one, with no page open.
    const second = setup(
      undefined,
      { credentials: credentials({ persist: true }) },
      new MemoryStore({ data: store.data }),
    );
    await second.enqueue('a2', 'alice');
    await second.host.wake();
    expect(second.byText()).toEqual(['a2:Bearer ta']);
    // Signing out removes them from the store too.
    await second.call({ type: 'signOut', user: 'alice', discard: false });
    expect(everything(store)).toContain('a2');
    expect(everything(store)).not.toContain('Bearer');
    await second.host.close();
  });
});
