import { createFerryClient } from '@ferry/client';
import { pageHost } from '@ferry/client/page';
import { MemoryStore, Outbox } from '@ferry/core';
import { summarize } from '@ferry/core/protocol';
import { ScriptedTransport } from '@ferry/core/testing';
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { FerryProvider, usePending } from './index.ts';

// React's act() environment, as React Testing Library sets it up under Jest.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * A client whose host runs in this page (page mode) over a MemoryStore, offline so that it sends
 * nothing by itself, and an Outbox on the same store that plays the sends and broadcasts them.
 */
function setup() {
  const name = `react-pending-${Math.random().toString(36).slice(2)}`;
  const store = new MemoryStore();
  const host = pageHost({
    name,
    storage: { store: async () => store },
    transport: new ScriptedTransport(),
    platform: { isOnline: () => false },
  });
  const client = createFerryClient({ name, forwardEvents: false, page: { host, always: true } });
  const player = new Outbox({ store, origin: location.origin });
  const out = new BroadcastChannel(`ferry-${name}`);
  player.subscribe((change) => out.postMessage(summarize(change)));
  const wrapper = ({ children }: { children: ReactNode }) => createElement(FerryProvider, { client }, children);
  const enqueue = (lane: string, n: number) =>
    client.enqueue({ kind: 'note.save', target: '/api/notes', lane, payload: { n } });
  /** The player claims the head of one lane and settles it. */
  const settleOne = async (ok: boolean) => {
    const [c] = await player.delivery.claim({ owner: 'player', lanes: 1, leaseMs: 60_000 });
    const refused = { ok: false, retryable: false, status: 422, error: 'n is too large' } as const;
    if (c) await player.delivery.exchange({ settlements: [{ run: [c], results: [ok ? { ok: true } : refused] }] });
  };
  return { client, wrapper, enqueue, settleOne, close: () => (out.close(), client.close()) };
}

afterEach(() => cleanup());

describe('usePending in Chromium', () => {
  it('renders the ops not done with their payloads and reasons, filtered, and stops on unmount', async () => {
    const t = setup();
    await t.enqueue('a', 1);
    await t.enqueue('b', 2);
    let renders = 0;
    const { result, unmount, rerender } = renderHook(
      ({ lane }: { lane?: string }) => {
        renders++;
        return usePending({
          ...(lane !== undefined && { lane }),
          where: (op) => (op.payload as { n: number }).n < 100,
        });
      },
      { wrapper: t.wrapper, initialProps: {} },
    );
    await waitFor(() => expect(result.current.map((o) => o.payload)).toEqual([{ n: 1 }, { n: 2 }]));
    await act(() => t.enqueue('a', 500));
    await act(() => t.enqueue('a', 3));
    await waitFor(() => expect(result.current.map((o) => o.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]));
    await act(() => t.settleOne(true));
    await act(() => t.settleOne(false));
    // Waits for the refusal too: n: 2 in flight already makes the same list of payloads.
    await waitFor(() =>
      expect(result.current.map((o) => [o.payload, o.status])).toEqual([
        [{ n: 2 }, 'failed'],
        [{ n: 3 }, 'pending'],
      ]),
    );
    expect(result.current[0]?.lastError).toMatchObject({ status: 422 });
    rerender({ lane: 'a' });
    await waitFor(() => expect(result.current.map((o) => o.payload)).toEqual([{ n: 3 }]));
    unmount();
    const before = renders;
    await t.enqueue('a', 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(renders).toBe(before);
    await t.close();
  });
});
