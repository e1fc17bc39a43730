/// <reference lib="dom" />
/**
 * Loaded into the end-to-end test page (`/tq.js`, next to the page's `window.ferry`): one
 * QueryClient and one Ferry mutation of the test API, driven from the test through `window.tq`.
 */
import type { FerryClient } from '@ferry/client';
import { MutationObserver, QueryClient } from '@tanstack/query-core';
import type { Message } from '../../../e2e/scenario/offline.ts';
import { ferryMutation, restoreMutations } from '../src/index.ts';

const ferry = (window as unknown as { ferry: FerryClient }).ferry;
const client = new QueryClient();
const send = ferryMutation<Message, unknown>(ferry, {
  kind: 'message.send',
  target: '/api/messages',
  lane: (m) => m.lane,
});

const tq = {
  restore: () => restoreMutations(client, [send]),
  /** Starts one mutation per message, as clicks do; their outcomes are the cache's. */
  mutate(messages: Message[]): void {
    for (const m of messages) new MutationObserver(client, send).mutate(m).catch(() => {});
  },
  /** The ops unsent (pending or in flight) as Ferry's `stats()` counts them. */
  async unsent(): Promise<number> {
    const { pending, inflight } = await ferry.stats();
    return pending + inflight;
  },
  /** The cache's Ferry mutations by status, and Ferry's unsettled ops. */
  async counts() {
    const cache = client.getMutationCache();
    const [pending, inflight] = await Promise.all([
      ferry.list({ status: 'pending' }),
      ferry.list({ status: 'inflight' }),
    ]);
    return {
      pending: cache.findAll({ mutationKey: ['ferry'], status: 'pending' }).length,
      success: cache.findAll({ mutationKey: ['ferry'], status: 'success' }).length,
      error: cache.findAll({ mutationKey: ['ferry'], status: 'error' }).length,
      unsettled: pending.length + inflight.length,
    };
  },
};
export type Tq = typeof tq;
(window as unknown as { tq: Tq }).tq = tq;
