import type { FerryClient } from '@ferry/client';
import type { Operation } from '@ferry/core';
import { createFerryIdentity } from '@ferry/client/identity';
import { MutationObserver, QueryClient } from '@tanstack/query-core';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterError, ferryMutation, restoreMutations } from './index.ts';
import { harness, until } from './testSupport.ts';

let t: ReturnType<typeof harness>;
afterEach(() => t.close());

/** The app's definitions, made once per page as an app makes them at start. */
function definitions(ferry: FerryClient) {
  const settled: string[] = [];
  const addTodo = ferryMutation<{ list: string; text: string }, { ok: number }>(ferry, {
    kind: 'todo.add',
    target: '/api/todos',
    lane: (todo) => todo.list,
    invalidates: [['todos']],
    onSuccess: (data, variables) => void settled.push(`ok ${JSON.stringify(data)} ${variables.text}`),
    onError: (err) => void settled.push(`error ${(err as DeadLetterError).reason?.status}`),
  });
  const like = ferryMutation<number>(ferry, { kind: 'post.like', target: '/api/likes' });
  return { addTodo, like, settled };
}

/** The Ferry mutations the cache shows as pending, against Ferry's unsettled ops of the same kinds. */
async function counts(client: QueryClient, ferry: FerryClient) {
  const ops = [...(await ferry.list({ status: 'pending' })), ...(await ferry.list({ status: 'inflight' }))];
  return {
    cache: client.isMutating({ mutationKey: ['ferry', 'todo.add'] }),
    ferry: ops.filter((op) => op.kind === 'todo.add').length,
  };
}

describe('restoreMutations', () => {
  it('after a reload, shows each unsettled op again as a pending mutation that settles when its op does', async () => {
    t = harness();
    const before = t.page();
    const first = definitions(before);
    const client1 = new QueryClient();
    const todos = ['a', 'b', 'c', 'd'].map((text, i) => ({ list: `list-${i % 2}`, text }));
    for (const todo of todos) void new MutationObserver(client1, first.addTodo).mutate(todo).catch(() => {});
    await until(async () => expect(await before.list({ status: 'pending' })).toHaveLength(4));
    // One is delivered, one is in flight when the page goes.
    const [delivered] = await t.send({ ok: true });
    const [onWire] = await t.claim();
    const other = await before.enqueue({ kind: 'other', target: '/api/o', payload: 0 });
    const left = (await before.list()).filter((op) => op.kind === 'todo.add' && op.id !== delivered?.id);
    expect(left.map((op) => op.status).sort()).toEqual(['inflight', 'pending', 'pending']);

    // The reload: a new page, a new client and cache, the same worker and store.
    await before.close();
    const ferry = t.page();
    const { addTodo, like, settled } = definitions(ferry);
    const client = new QueryClient();
    expect(client.getMutationCache().getAll()).toHaveLength(0);
    await expect(restoreMutations(client, [addTodo, like])).resolves.toBe(3);
    const restored = client.getMutationCache().getAll();
    expect(restored.map((m) => [m.state.status, m.state.isPaused, m.state.variables])).toEqual(
      left.map((op) => ['pending', false, op.payload]),
    );
    expect(restored.every((m) => m.options.networkMode === 'always' && m.options.retry === false)).toBe(true);
    expect(await counts(client, ferry)).toEqual({ cache: 3, ferry: 3 });
    // Again: every op already has its mutation here.
    await expect(restoreMutations(client, [addTodo])).resolves.toBe(0);
    expect(client.getMutationCache().getAll()).toHaveLength(3);

    // The one in flight is done, the next is refused, the last is done.
    await t.player.delivery.exchange({
      settlements: [{ run: [onWire!], results: [{ ok: true, answer: { status: 200, body: { ok: 1 } } }] }],
    });
    await until(async () => expect(await counts(client, ferry)).toEqual({ cache: 2, ferry: 2 }));
    const [refused] = await t.send({ ok: false, retryable: false, status: 409 });
    const [last] = await t.send({ ok: true, answer: { status: 200, body: { ok: 2 } } });
    await until(() => expect(client.isMutating()).toBe(0));
    const outcome = (id: string | undefined) => restored[left.findIndex((op) => op.id === id)]?.state;
    expect(outcome(onWire?.id)).toMatchObject({ status: 'success', data: { ok: 1 } });
    expect(outcome(refused?.id)).toMatchObject({ status: 'error' });
    expect(outcome(refused?.id)?.error).toBeInstanceOf(DeadLetterError);
    expect(outcome(last?.id)).toMatchObject({ status: 'success', data: { ok: 2 } });
    const text = (op: { payload: unknown } | undefined) => (op?.payload as { text?: string } | undefined)?.text;
    expect(settled).toEqual([`ok {"ok":1} ${text(onWire)}`, 'error 409', `ok {"ok":2} ${text(last)}`]);
    expect(await counts(client, ferry)).toEqual({ cache: 0, ferry: 0 });
    expect((await ferry.get(other))?.status).toBe('pending');
  });

  it('restores an op that goes from in flight back to pending while it lists', async () => {
    t = harness();
    const before = t.page();
    void new MutationObserver(new QueryClient(), definitions(before).addTodo)
      .mutate({ list: 'l', text: 'a' })
      .catch(() => {});
    await until(async () => expect(await before.list({ status: 'pending' })).toHaveLength(1));
    const [op] = await before.list();
    await before.close();
    // A reloaded page whose reads see the op in flight, then (its send failed, to be retried) pending again.
    const ferry = t.page();
    let reads = 0;
    const racing: FerryClient = {
      ...ferry,
      list: async (query = {}) => {
        const status: Operation['status'] = ++reads === 1 ? 'inflight' : 'pending';
        return [{ ...(op as Operation), status }].filter(
          (o) => query.status === undefined || o.status === query.status,
        );
      },
    };
    await expect(restoreMutations(new QueryClient(), [definitions(racing).addTodo])).resolves.toBe(1);
  });

  it('skips the ops a mutation of this page already waits on, also while its enqueue is on its way', async () => {
    t = harness();
    const page = t.page();
    // The worker's acknowledgement of each enqueue reaches the page only once `ack` is called.
    let ack = () => {};
    const acked = new Promise<void>((resolve) => (ack = resolve));
    const ferry: FerryClient = { ...page, enqueue: (op) => page.enqueue(op).then((id) => acked.then(() => id)) };
    const { addTodo } = definitions(ferry);
    const client = new QueryClient();
    const observer = new MutationObserver(client, addTodo);
    const done = observer.mutate({ list: 'l', text: 'mine' });
    await until(async () => expect(await ferry.list()).toHaveLength(1));
    expect(observer.getCurrentResult().status).toBe('pending');
    // The op is stored, its enqueue not yet resolved: it is this page's mutation's already.
    await expect(restoreMutations(client, [addTodo])).resolves.toBe(0);
    expect(client.getMutationCache().getAll()).toHaveLength(1);
    ack();
    await t.send({ ok: true });
    await done;
    // An op no mutation of this page waits on (another tab's) is restored.
    await ferry.enqueue({ kind: 'todo.add', target: '/api/todos', payload: { list: 'l', text: 'elsewhere' } });
    await expect(restoreMutations(client, [addTodo])).resolves.toBe(1);
  });

  it('restores only the signed-in user’s ops', async () => {
    t = harness();
    const ferry = t.page();
    const { addTodo } = definitions(ferry);
    const identity = createFerryIdentity(ferry);
    await identity.setUser('ann');
    await ferry.enqueue({ kind: 'todo.add', target: '/api/todos', payload: { list: 'l', text: 'ann' } });
    await identity.setUser('bob');
    await ferry.enqueue({ kind: 'todo.add', target: '/api/todos', payload: { list: 'l', text: 'bob' } });
    const client = new QueryClient();
    await expect(restoreMutations(client, [addTodo], { user: identity.user })).resolves.toBe(1);
    expect(client.getMutationCache().getAll()[0]?.state.variables).toEqual({ list: 'l', text: 'bob' });
  });

  it('rejects with invalid-argument for a non-array, options ferryMutation did not make, or two definitions of one kind', async () => {
    t = harness();
    const ferry = t.page();
    const client = new QueryClient();
    const { addTodo } = definitions(ferry);
    await expect(restoreMutations(client, addTodo as never)).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(restoreMutations(client, [{ ...addTodo }])).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(restoreMutations(client, [addTodo, definitions(ferry).addTodo])).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });
});
