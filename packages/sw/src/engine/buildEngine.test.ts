/** The engine's loop: started by the host's first wake, never again once the engine is retired. */
import { MemoryStore } from '@ferry/core';
import { ScriptedTransport } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { testPlatform } from '../testing/index.ts';
import { buildEngine, retire } from './buildEngine.ts';
import { resolveOptions } from './resolveOptions.ts';

const op = { kind: 'k', target: '/a', payload: null };

describe('buildEngine', () => {
  it('sends nothing until the first wake; once retired, a wake starts nothing', async () => {
    const transport = new ScriptedTransport();
    const store = new MemoryStore();
    const settings = resolveOptions({ transport, storage: { store: async () => store }, platform: testPlatform() });
    const errors: unknown[] = [];
    const engine = await buildEngine(settings, { onError: (e) => errors.push(e), ended: () => {}, onChange: () => {} });
    await engine.outbox.enqueue(op);
    expect(engine.worker.running).toBe(false);
    await engine.wake();
    expect(transport.sent).toHaveLength(1);
    await retire(engine);
    // A wake that found this engine before it was retired: it must not restart the loop over the closed store.
    await engine.wake();
    expect(engine.worker.running).toBe(false);
    expect(errors).toEqual([]);
  });
});
