import type { FerryClient } from '@ferry/client';
import { QueryClient, QueryClientProvider, useIsMutating, useMutation, useMutationState } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ferryMutation, restoreMutations } from './index.ts';
import { harness } from './testSupport.ts';

// React's act() environment, as React Testing Library sets it up under Jest.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

interface Todo {
  id: string;
  title: string;
}

const definition = (ferry: FerryClient) =>
  ferryMutation<Todo, { saved: string }>(ferry, { kind: 'todo.add', target: '/todos', lane: 'todos' });

/** TanStack's useMutation example on Ferry, with the pending todos (restored ones too) listed. */
function App({ addTodo }: { addTodo: ReturnType<typeof definition> }) {
  const mutation = useMutation(addTodo);
  const pending = useMutationState({
    filters: { mutationKey: ['ferry', 'todo.add'], status: 'pending' },
    select: (m) => (m.state.variables as Todo).title,
  });
  const count = useIsMutating({ mutationKey: ['ferry'] });
  return h(
    'div',
    null,
    h('p', { 'data-testid': 'state' }, mutation.isSuccess ? `saved ${mutation.data.saved}` : mutation.status),
    h('p', { 'data-testid': 'pending' }, `${count}: ${pending.join(',')}`),
    h('button', { onClick: () => mutation.mutate({ id: `t${count}`, title: `todo ${count}` }) }, 'Create Todo'),
  );
}

const page = (client: QueryClient, addTodo: ReturnType<typeof definition>) =>
  render(h(QueryClientProvider, { client }, h(App, { addTodo })));

let t: ReturnType<typeof harness>;
afterEach(async () => {
  cleanup();
  await t.close();
});

describe('@ferry/tanstack-query under React Query in Chromium', () => {
  it('useMutation enqueues, stays pending until the op is done, and the restored mutations show after a reload', async () => {
    t = harness();
    const first = t.page();
    const view = page(new QueryClient(), definition(first));
    fireEvent.click(screen.getByText('Create Todo'));
    await waitFor(() => expect(screen.getByTestId('pending').textContent).toBe('1: todo 0'));
    fireEvent.click(screen.getByText('Create Todo'));
    await waitFor(() => expect(screen.getByTestId('pending').textContent).toBe('2: todo 0,todo 1'));
    await waitFor(async () => expect(await first.list({ status: 'pending' })).toHaveLength(2));
    expect(screen.getByTestId('state').textContent).toBe('pending');

    // The reload: the page's React tree, client and cache go; the ops stay with the worker.
    view.unmount();
    await first.close();
    const ferry = t.page();
    const addTodo = definition(ferry);
    const client = new QueryClient();
    await restoreMutations(client, [addTodo]);
    page(client, addTodo);
    expect(screen.getByTestId('pending').textContent).toBe('2: todo 0,todo 1');
    expect(screen.getByTestId('state').textContent).toBe('idle');

    await act(() => t.send({ ok: true, answer: { status: 201, body: { saved: 't0' } } }));
    await waitFor(() => expect(screen.getByTestId('pending').textContent).toBe('1: todo 1'));
    fireEvent.click(screen.getByText('Create Todo'));
    await waitFor(() => expect(screen.getByTestId('pending').textContent).toBe('2: todo 1,todo 1'));
    await act(() => t.send({ ok: true }));
    await act(() => t.send({ ok: true, answer: { status: 201, body: { saved: 'new' } } }));
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('saved new'));
    expect(screen.getByTestId('pending').textContent).toBe('0: ');
  });
});
