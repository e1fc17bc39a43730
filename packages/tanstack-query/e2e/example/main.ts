/// <reference lib="dom" />
/**
 * A React Query app in the shape of TanStack Query's offline example, on Ferry (docs/tanstack-query.md, "From
 * TanStack's offline example"): a plain QueryClientProvider with no persister, one `ferryMutation` definition in
 * place of `setMutationDefaults`, `restoreMutations` at start in place of `resumePausedMutations`, and `useMutation`
 * with an optimistic `onMutate`. Built by Vite (`tq-example.js`) and loaded into the end-to-end test page, it renders
 * what the offline scenario reads (e2e/scenario/domApp.ts) from the mutation cache alone: the pending mutations'
 * count and variables, and the errored ones.
 */
import { createFerryClient } from '@ferry/client';
import { QueryClient, QueryClientProvider, useMutation, useMutationState } from '@tanstack/react-query';
import { createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { Message } from '../../../../e2e/scenario/offline.ts';
import { ferryMutation, restoreMutations } from '../../src/index.ts';

const ferry = createFerryClient();
await ferry.register();
const queryClient = new QueryClient();
const sendMessage = ferryMutation<Message>(ferry, {
  kind: 'message.send',
  target: '/api/messages',
  lane: (m) => m.lane,
  invalidates: [['messages']],
});
await restoreMutations(queryClient, [sendMessage]);

const filters = { mutationKey: ['ferry', 'message.send'] };

function Messages() {
  const [n, setN] = useState('');
  const [lane, setLane] = useState('');
  const mutation = useMutation({
    ...sendMessage,
    // The example's optimistic update: the message shows in the list before the server has it.
    onMutate: (m) => queryClient.setQueryData<Message[]>(['messages'], (old = []) => [...old, m]),
  });
  const pending = useMutationState({ filters: { ...filters, status: 'pending' }, select: (m) => m.state.variables });
  const failed = useMutationState({ filters: { ...filters, status: 'error' } });
  return h(
    'div',
    null,
    h(
      'form',
      {
        onSubmit: (e: { preventDefault(): void }) => {
          e.preventDefault();
          mutation.mutate({ n: Number(n), lane });
        },
      },
      h('input', { name: 'n', value: n, onChange: (e: { target: { value: string } }) => setN(e.target.value) }),
      h('input', {
        name: 'lane',
        value: lane,
        onChange: (e: { target: { value: string } }) => setLane(e.target.value),
      }),
      h('button', { type: 'submit' }, 'Send'),
    ),
    h('p', { 'data-testid': 'unsent' }, pending.length),
    h('p', { 'data-testid': 'failed' }, failed.length),
    h(
      'ul',
      { 'data-testid': 'overlay' },
      pending.map((m) => h('li', { key: (m as Message).n }, (m as Message).n)),
    ),
  );
}

createRoot(document.body.appendChild(document.createElement('div'))).render(
  h(QueryClientProvider, { client: queryClient }, h(Messages)),
);
