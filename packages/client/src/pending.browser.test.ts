// The pending overlay in real Chromium: its suites (a page's event loop, MessageChannel and timers), and
// a reload over real IndexedDB: the host runs in the page (page mode), and a reload is a new client and host.
import type { Operation, Transport } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { createFerryClient } from './createFerryClient.ts';
import { pageHost } from './page.ts';
import { createFerryPending } from './pending.ts';
import './pending.property.test.ts';
import './pending.test.ts';

/** A page of the app named `name`; its host sends with `transport`, or never while `online` is false. */
function open(name: string, online: boolean, transport?: Transport) {
  return createFerryClient({
    name,
    forwardEvents: false,
    page: {
      always: true,
      host: pageHost({ name, ...(transport && { transport }), platform: { isOnline: () => online } }),
    },
  });
}

describe('pending overlay across a reload (real IndexedDB)', () => {
  it('shows the edits made before the reload, and a dead letter with its reason, on its first snapshot', async () => {
    const name = `pending-${Math.random().toString(36).slice(2)}`;
    // The server refuses the poison op; every other send finds no network.
    const server: Transport = {
      send: async (op: Operation) =>
        op.kind === 'note.poison'
          ? { ok: false, retryable: false, status: 422, error: 'title is required' }
          : { ok: false, retryable: true, unanswered: true, error: 'Failed to fetch' },
    };
    const before = open(name, true, server);
    await before.register();
    const edits = ['draft 1', 'draft 2', 'draft 3'];
    for (const text of edits)
      await before.enqueue({ kind: 'note.save', target: '/api/notes', lane: 'note-1', payload: { text } });
    const poison = await before.enqueue({
      kind: 'note.poison',
      target: '/api/notes',
      lane: 'note-2',
      payload: { text: '' },
    });
    await before.syncNow();
    expect((await before.whenDone(poison)).status).toBe('failed');
    await before.close();

    // The reload: a new client and host over the same database, offline.
    const after = open(name, false);
    await after.register();
    const pending = createFerryPending(after);
    const t0 = performance.now();
    const first = await new Promise<readonly Operation[]>((resolve) => {
      const off = pending.subscribe(() => {
        off();
        resolve(pending());
      });
    });
    console.info(`pending overlay after a reload: ${first.length} ops in ${(performance.now() - t0).toFixed(1)} ms`);
    expect(first.filter((o) => o.kind === 'note.save').map((o) => o.payload)).toEqual(edits.map((text) => ({ text })));
    expect(first.find((o) => o.id === poison)).toMatchObject({
      status: 'failed',
      payload: { text: '' },
      lastError: { status: 422, retryable: false, message: expect.stringContaining('title is required') as string },
    });
    await after.close();
    indexedDB.deleteDatabase(`ferry-${name}`);
  });

  it('after a reload with 1,000 ops queued, the overlay holds all of them on its first snapshot', async () => {
    const name = `pending-1k-${Math.random().toString(36).slice(2)}`;
    const before = open(name, false);
    await before.register();
    const ids = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        before.enqueue({ kind: 'note.save', target: '/api/notes', lane: `note-${i % 16}`, payload: { i } }),
      ),
    );
    await before.close();

    const after = open(name, false);
    const t0 = performance.now();
    await after.register();
    const pending = createFerryPending(after);
    const first = await new Promise<readonly Operation[]>((resolve) => {
      const off = pending.subscribe(() => {
        off();
        resolve(pending());
      });
    });
    console.info(
      `pending overlay, 1,000 ops: first snapshot ${(performance.now() - t0).toFixed(1)} ms after register()`,
    );
    expect(new Set(first.map((o) => o.id))).toEqual(new Set(ids));
    await after.close();
    indexedDB.deleteDatabase(`ferry-${name}`);
  });
});
