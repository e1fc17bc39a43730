/** The page side of users and credentials: stamping, the provider answering the worker's asks, sign-out, names. */
import { FerryError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { createFerryClient } from './createFerryClient.ts';
import type { FerryIdentityOptions } from './identity.ts';
import { createFerryIdentity } from './identity.ts';
import type { FerryClientOptions } from './types.ts';
import { macrotask } from './testSupport.ts';

type Msg = Record<string, unknown>;

/** What the fake worker answers by default: ids for enqueues, epoch 0 for a sign-in, null otherwise. */
function defaultAnswer(msg: Msg): unknown {
  if (msg.type === 'enqueueBatch') return (msg.ops as Msg[]).map((o) => o.id);
  return msg.type === 'signIn' ? { epoch: 0 } : null;
}

/** A worker that answers every request with `result(msg)` and records them. */
function fakeWorker(result: (msg: Msg) => unknown = defaultAnswer) {
  const received: Msg[] = [];
  return {
    received,
    postMessage(msg: Msg, transfer: Transferable[]) {
      received.push(msg);
      (transfer[0] as MessagePort).postMessage({ v: 1, id: msg.id, ok: true, result: result(msg) });
    },
  };
}

function setup(more: FerryClientOptions & FerryIdentityOptions = {}, worker = fakeWorker()) {
  const { credentials, onSignedOut, ...options } = more;
  const channel = Object.assign(new EventTarget(), { close() {} });
  const container = { controller: worker } as unknown as ServiceWorkerContainer;
  const ferry = createFerryClient({
    platform: { serviceWorker: () => container, channel: () => channel },
    forwardEvents: false,
    timeoutMs: 500,
    ...options,
  });
  const who = createFerryIdentity(ferry, {
    ...(credentials && { credentials }),
    ...(onSignedOut && { onSignedOut }),
  });
  const ask = (user: string, reason = 'refused', origin = 'https://api.example') =>
    channel.dispatchEvent(
      new MessageEvent('message', { data: { v: 1, type: 'credentials-needed', user, origin, reason } }),
    );
  const signedOut = (user: string, epoch: number) =>
    channel.dispatchEvent(new MessageEvent('message', { data: { v: 1, type: 'signed-out', user, epoch } }));
  return { ferry, who, worker, ask, signedOut };
}

const op = { kind: 'message.send', target: '/api/messages', payload: { text: 'hi' } };

describe('client: users', () => {
  it('stamps every enqueue with the signed-in user, and none once signed out', async () => {
    const { ferry, who, worker } = setup();
    await ferry.enqueue(op);
    await who.setUser('alice');
    expect(who.user).toBe('alice');
    await ferry.enqueue(op);
    await ferry.enqueue({ ...op, user: 'explicit' });
    await who.signOut();
    await ferry.enqueue(op);
    const users = worker.received.filter((m) => m.type === 'enqueueBatch').map((m) => (m.ops as Msg[])[0]?.user);
    expect(users).toEqual([undefined, 'alice', 'explicit', undefined]);
    expect(worker.received.find((m) => m.type === 'signOut')).toMatchObject({ user: 'alice', discard: false });
    await ferry.close();
  });

  it('refuses a user id that is not a non-empty string, with a typed error, and keeps the current one', async () => {
    const { ferry, who } = setup();
    await who.setUser('alice');
    for (const bad of ['', '  ', 42, undefined, {}]) {
      const err = await who.setUser(bad as string).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FerryError);
      expect((err as FerryError).code).toBe('invalid-argument');
    }
    expect(who.user).toBe('alice');
    await ferry.close();
  });

  it("the provider gives the signed-in user's credentials at setUser and when the worker asks, never another user's", async () => {
    const calls: string[] = [];
    const { ferry, who, worker, ask } = setup({
      credentials: async (user, { reason }) => {
        calls.push(`${user}:${reason}`);
        return { headers: { Authorization: `Bearer ${user}-token` } };
      },
    });
    await who.setUser('alice');
    ask('alice');
    ask('bob');
    await macrotask();
    expect(calls).toEqual(['alice:missing', 'alice:refused']);
    const sets = worker.received.filter((m) => m.type === 'setCredentials');
    expect(sets).toMatchObject([
      { user: 'alice', credentials: { headers: { Authorization: 'Bearer alice-token' } } },
      {
        user: 'alice',
        credentials: { headers: { Authorization: 'Bearer alice-token' }, origin: 'https://api.example' },
      },
    ]);
    await who.signOut();
    ask('alice');
    await macrotask();
    expect(calls).toHaveLength(2);
    await ferry.close();
  });

  it('a provider that fails (the auth server answers 503) gives nothing; the next ask tries again', async () => {
    let fail = true;
    const { ferry, who, worker, ask } = setup({
      credentials: async () => {
        if (fail) throw new Error('auth server: 503');
        return { headers: { Authorization: 'Bearer fresh' } };
      },
    });
    await who.setUser('alice');
    expect(worker.received.filter((m) => m.type === 'setCredentials')).toHaveLength(0);
    fail = false;
    ask('alice');
    await macrotask();
    expect(worker.received.filter((m) => m.type === 'setCredentials')).toHaveLength(1);
    await ferry.close();
  });

  it("credentials carry the epoch the worker answered at sign-in; another user's carry none", async () => {
    const worker = fakeWorker((msg) => (msg.type === 'signIn' ? { epoch: 3 } : defaultAnswer(msg)));
    const { ferry, who } = setup({ credentials: () => ({ headers: { Authorization: 'Bearer a' } }) }, worker);
    await who.setUser('alice');
    await who.setCredentials('carol', { headers: { Authorization: 'Bearer c' } });
    const sets = worker.received.filter((m) => m.type === 'setCredentials');
    expect(sets.map((m) => [m.user, m.epoch])).toEqual([
      ['alice', 3],
      ['carol', undefined],
    ]);
    expect(worker.received.filter((m) => m.type === 'signIn')).toHaveLength(1);
    await ferry.close();
  });

  it('a sign-out in another tab signs the user out here: no stamping, no credentials, enqueue refused until setUser', async () => {
    const calls: string[] = [];
    const told: string[] = [];
    const { ferry, who, worker, ask, signedOut } = setup({
      credentials: (user) => (calls.push(user), { headers: { Authorization: `Bearer ${user}` } }),
      onSignedOut: (user) => told.push(user),
    });
    await who.setUser('alice');
    signedOut('alice', 1);
    expect([who.user, told]).toEqual([null, ['alice']]);
    // The worker asks for alice's credentials again: this page gives none now.
    ask('alice');
    await macrotask();
    expect(calls).toEqual(['alice']);
    const refused = await ferry.enqueue(op).catch((e: unknown) => e);
    expect((refused as FerryError).code).toBe('signed-out');
    expect(worker.received.filter((m) => m.type === 'enqueueBatch')).toHaveLength(0);
    // An op that names its user is the app's explicit choice; a new sign-in ends the refusal.
    await ferry.enqueue({ ...op, user: 'alice' });
    await who.setUser('bob');
    await ferry.enqueue(op);
    const users = worker.received.filter((m) => m.type === 'enqueueBatch').map((m) => (m.ops as Msg[])[0]?.user);
    expect(users).toEqual(['alice', 'bob']);
    await ferry.close();
  });

  it("a sign-out older than this page's sign-in, or of another user, changes nothing here", async () => {
    const worker = fakeWorker((msg) => (msg.type === 'signIn' ? { epoch: 2 } : defaultAnswer(msg)));
    const { ferry, who, signedOut } = setup({ credentials: () => ({ headers: {} }) }, worker);
    await who.setUser('alice');
    signedOut('alice', 2);
    signedOut('bob', 9);
    expect(who.user).toBe('alice');
    signedOut('alice', 3);
    expect(who.user).toBeNull();
    await ferry.close();
  });

  it('one identity per client, and only for a client made by createFerryClient', async () => {
    const { who, ferry } = setup();
    expect(who.user).toBeNull();
    expect(() => createFerryIdentity(ferry)).toThrow(expect.objectContaining({ code: 'invalid-state' }));
    expect(() => createFerryIdentity({ ...ferry })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    await ferry.close();
  });

  it('a named client tags its requests with its name', async () => {
    const { ferry, worker } = setup({ name: 'app1' });
    await ferry.stats({ user: 'alice' });
    expect(worker.received[0]).toMatchObject({ type: 'stats', name: 'app1', query: { user: 'alice' } });
    expect(() => createFerryClient({ name: 'no spaces' })).toThrow(expect.objectContaining({ code: 'invalid-config' }));
    await ferry.close();
  });
});
