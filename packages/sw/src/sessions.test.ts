/**
 * A sign-out anywhere is a sign-out everywhere: the worker refuses
 * credentials for a user signed out since the giving page signed them in, so
 * a tab that missed the sign-out can never send one user's ops with the
 * token its provider minted from the next user's refresh cookie.
 */
import { MemoryStore } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from './index.ts';
import { api, codeOf, setup } from './testSupport.ts';

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

describe('sign-in epochs across tabs', () => {
  it("a stale tab's credentials for a signed-out user are refused; her op is never sent as the next user", async () => {
    const { host, call, enqueue, byText, ch, net } = setup();
    // Tab 1 and tab 2: alice signed in on both.
    const tab1 = await call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    await call({ type: 'signIn', user: 'alice' });
    net.online = false;
    await enqueue('alice note', 'alice');
    // Tab 2 signs alice out and bob in; every page hears of the sign-out.
    await call({ type: 'signOut', user: 'alice', discard: false });
    expect(ch.sent).toContainEqual({ v: 1, type: 'signed-out', user: 'alice', epoch: tab1.epoch + 1 });
    const bob = await call<{ epoch: number }>({ type: 'signIn', user: 'bob' });
    await call({ type: 'setCredentials', user: 'bob', credentials: bearer('tb'), epoch: bob.epoch });
    // Tab 1 missed it: its provider minted a token from the browser's refresh cookie, which is bob's now.
    const stale = call({ type: 'setCredentials', user: 'alice', credentials: bearer('tb'), epoch: tab1.epoch });
    expect(await codeOf(stale)).toBe('signed-out');
    // Without an epoch (a page that never signed her in) it is refused too while she is signed out.
    expect(await codeOf(call({ type: 'setCredentials', user: 'alice', credentials: bearer('tb') }))).toBe('signed-out');
    net.online = true;
    await host.wake();
    expect(byText()).toEqual([]);
    // Alice signs in again (a new epoch) and her op goes with her own token.
    const again = await call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    expect(again.epoch).toBe(tab1.epoch + 1);
    expect(
      await codeOf(call({ type: 'setCredentials', user: 'alice', credentials: bearer('tb'), epoch: tab1.epoch })),
    ).toBe('signed-out');
    await call({ type: 'setCredentials', user: 'alice', credentials: bearer('ta'), epoch: again.epoch });
    await host.wake();
    expect(byText()).toEqual(['alice note:Bearer ta']);
    await host.close();
  });

  it('the sign-out outlives a worker restart: a new worker over the same store refuses the stale epoch', async () => {
    const store = new MemoryStore();
    const first = setup(undefined, {}, store);
    const { epoch } = await first.call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    await first.call({ type: 'signOut', user: 'alice', discard: false });
    await first.host.close();
    const second = setup(undefined, {}, new MemoryStore({ data: store.data }));
    const stale = second.call({ type: 'setCredentials', user: 'alice', credentials: bearer('ta'), epoch });
    expect(await codeOf(stale)).toBe('signed-out');
    await second.host.close();
  });

  it('a sign-in answers the same epoch until the next sign-out, and users are independent', async () => {
    const { host, call } = setup();
    const a1 = await call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    const a2 = await call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    await call({ type: 'signOut', user: 'bob', discard: false });
    expect(a2.epoch).toBe(a1.epoch);
    expect((await call<{ epoch: number }>({ type: 'signIn', user: 'alice' })).epoch).toBe(a1.epoch);
    expect(await codeOf(call({ type: 'signIn', user: '' }))).toBe('invalid-argument');
    expect(await codeOf(call({ type: 'setCredentials', user: 'alice', credentials: bearer('ta'), epoch: -1 }))).toBe(
      'protocol-error',
    );
    await host.close();
  });
});

describe('the op travels with its user', () => {
  it("an op of alice's sent with bob's token is refused by the server (user-mismatch), held, and goes as alice later", async () => {
    const valid = new Map([
      ['ta', 'alice'],
      ['tb', 'bob'],
    ]);
    const server = api(valid);
    const applied: string[] = [];
    // The API checks Ferry-User against the token's user, as @ferry/server's `user` option does.
    const fetch: FetchLike = async (url, init) => {
      const headers = new Headers(init.headers);
      const tokenUser = valid.get(headers.get('authorization')?.replace(/^Bearer /, '') ?? '');
      const named = headers.get('ferry-user');
      if (tokenUser !== undefined && named !== null && decodeURIComponent(named) !== tokenUser) {
        server.seen.push({
          url,
          auth: headers.get('authorization'),
          credentials: init.credentials,
          body: JSON.parse(String(init.body)),
        });
        const problem = { status: 403, code: 'user-mismatch' };
        return Response.json(problem, { status: 403, headers: { 'content-type': 'application/problem+json' } });
      }
      const res = await server.fetch(url, init);
      if (res.status === 201)
        applied.push(`${(JSON.parse(String(init.body)) as { text: string }).text} as ${tokenUser}`);
      return res;
    };
    const { host, call, enqueue } = setup(valid, { transport: { fetch, timeoutMs: 300 } });
    // Tab 0 believes alice is signed in; tab 1, stale, signs bob out, clearing the browser's session, and bob signs in.
    const tab0 = await call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    const a = await enqueue('alice note', 'alice');
    // Tab 0's provider mints from the cookie, which is bob's now; nothing tells the worker it is not alice's.
    await call({ type: 'setCredentials', user: 'alice', credentials: bearer('tb'), epoch: tab0.epoch });
    await host.wake();
    expect(server.seen.map((s) => s.auth)).toEqual(['Bearer tb']);
    expect(applied).toEqual([]);
    expect(await call({ type: 'get', opId: a.id })).toMatchObject({
      status: 'pending',
      held: expect.stringContaining('needs-auth'),
    });
    // Alice signs in again with her own token: her op goes, as her.
    const again = await call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    await call({ type: 'setCredentials', user: 'alice', credentials: bearer('ta'), epoch: again.epoch });
    await host.wake();
    expect(applied).toEqual(['alice note as alice']);
    await host.close();
  });
});
