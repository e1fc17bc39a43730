import type { FerryClient } from '@ferry/client';
import { FerryError } from '@ferry/core';
import { MutationObserver, QueryClient, QueryObserver } from '@tanstack/query-core';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterError, ferryMutation } from './index.ts';
import { harness, until } from './testSupport.ts';

interface Todo {
  id: number;
  text: string;
}

let t: ReturnType<typeof harness>;
afterEach(() => t.close());

describe('ferryMutation', () => {
  it('enqueues one op per mutate, resolves with the kept answer body once done, and invalidates its keys', async () => {
    t = harness();
    const ferry = t.page();
    const client = new QueryClient();
    let fetches = 0;
    const todos = new QueryObserver(client, { queryKey: ['todos'], queryFn: () => ++fetches });
    const off = todos.subscribe(() => {});
    await until(() => expect(fetches).toBe(1));
    const addTodo = ferryMutation<Todo, { saved: number }>(ferry, {
      kind: 'todo.add',
      target: (todo) => `/api/todos/${todo.id}`,
      method: 'PUT',
      lane: (todo) => `list-${todo.id % 2}`,
      invalidates: [['todos']],
    });
    expect(addTodo).toMatchObject({ networkMode: 'always', retry: false, mutationKey: ['ferry', 'todo.add'] });
    expect(addTodo.scope).toBeUndefined();
    const observer = new MutationObserver(client, addTodo);
    const result = observer.mutate({ id: 7, text: 'milk' });
    await until(async () => expect(await ferry.list()).toHaveLength(1));
    const [op] = await ferry.list();
    expect(op).toMatchObject({
      kind: 'todo.add',
      target: '/api/todos/7',
      method: 'PUT',
      lane: 'list-1',
      payload: { id: 7, text: 'milk' },
      status: 'pending',
    });
    expect(observer.getCurrentResult()).toMatchObject({ status: 'pending', isPaused: false });
    expect(fetches).toBe(1);
    await t.send({ ok: true, answer: { status: 201, body: { saved: 7 } } });
    await expect(result).resolves.toEqual({ saved: 7 });
    expect(observer.getCurrentResult()).toMatchObject({ status: 'success', data: { saved: 7 } });
    await until(() => expect(fetches).toBe(2));
    expect(await ferry.list()).toHaveLength(1);
    off();
  });

  it('rejects with a DeadLetterError carrying the reason and the answer when the op fails, and invalidates', async () => {
    t = harness();
    const ferry = t.page();
    const client = new QueryClient();
    const invalidated: unknown[] = [];
    client.getQueryCache().subscribe((e) => {
      if (e.type === 'updated' && e.action.type === 'invalidate') invalidated.push(e.query.queryKey);
    });
    client.setQueryData(['todos'], []);
    const errors: unknown[] = [];
    const addTodo = ferryMutation<Todo>(ferry, {
      kind: 'todo.add',
      target: '/api/todos',
      payload: (todo) => ({ text: todo.text }),
      invalidates: [['todos']],
      onError: (err) => void errors.push(err),
    });
    const result = new MutationObserver(client, addTodo).mutate({ id: 1, text: 'x'.repeat(300) });
    result.catch(() => {});
    await until(async () => expect(await ferry.list()).toHaveLength(1));
    expect((await ferry.list())[0]?.payload).toEqual({ text: 'x'.repeat(300) });
    const refused = { ok: false, retryable: false, status: 422, answer: { status: 422, body: { error: 'too long' } } };
    await t.send(refused as never);
    const err = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeadLetterError);
    const dead = err as DeadLetterError;
    expect(dead.code).toBe('dead-letter');
    expect(dead.op.status).toBe('failed');
    expect(dead.reason).toMatchObject({ status: 422, retryable: false });
    expect(dead.message).toBe(dead.reason?.message);
    expect(dead.answer).toEqual({ status: 422, body: { error: 'too long' } });
    expect(errors).toEqual([err]);
    expect(invalidated).toEqual([['todos']]);
  });

  it('rejects with the enqueue error for an op Ferry refuses, and with not-found when the op is removed', async () => {
    t = harness();
    const ferry = t.page();
    const client = new QueryClient();
    const bad = ferryMutation<{ f: () => void }>(ferry, { kind: 'k', target: '/api/x' });
    const refused = await new MutationObserver(client, bad).mutate({ f: () => {} }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FerryError);
    expect(await ferry.list()).toHaveLength(0);
    const ok = ferryMutation<number>(ferry, { kind: 'k', target: '/api/x' });
    const result = new MutationObserver(client, ok).mutate(1);
    result.catch(() => {});
    await until(async () => expect(await ferry.list()).toHaveLength(1));
    const [op] = await ferry.list();
    await ferry.remove(op!.id);
    await expect(result).rejects.toMatchObject({ code: 'not-found' });
  });

  it('after an enqueue that timed out, follows the op when it was stored, and rejects with worker-timeout when not', async () => {
    t = harness();
    const page = t.page();
    const timeout = () => new FerryError('worker-timeout', 'no answer');
    const stored: FerryClient = { ...page, enqueue: (op) => page.enqueue(op).then(() => Promise.reject(timeout())) };
    const lost: FerryClient = { ...page, enqueue: () => Promise.reject(timeout()) };
    const client = new QueryClient();
    const kept = new MutationObserver(client, ferryMutation<number>(stored, { kind: 'k', target: '/api/x' })).mutate(1);
    const gone = new MutationObserver(client, ferryMutation<number>(lost, { kind: 'k', target: '/api/x' })).mutate(2);
    await expect(gone).rejects.toMatchObject({ code: 'worker-timeout' });
    await until(async () => expect(await page.list()).toHaveLength(1));
    await t.send({ ok: true, answer: { status: 200, body: 'kept' } });
    await expect(kept).resolves.toBe('kept');
  });

  it('throws invalid-argument for a bad kind, target or invalidates', () => {
    t = harness();
    const ferry = t.page();
    const cases = [
      { kind: '', target: '/a' },
      { kind: 7, target: '/a' },
      { kind: 'k', target: '' },
      { kind: 'k', target: 3 },
      { kind: 'k', target: '/a', invalidates: ['todos'] },
    ];
    for (const spec of cases) {
      expect(() => ferryMutation(ferry, spec as never), JSON.stringify(spec)).toThrow(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
    }
  });
});
