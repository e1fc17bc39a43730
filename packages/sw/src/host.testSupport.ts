/** The host tests' fakes: a reply port that records, and a host over a MemoryStore with a scripted transport. */
import type { ChangeMessage, Reply } from '@ferry/core/protocol';
import { MemoryStore } from '@ferry/core';
import { ScriptedTransport } from '@ferry/core/testing';
import { FerryHost } from './FerryHost.ts';
import type { FerryHostOptions } from './options.ts';
import { testChannel, testLocks, testPlatform } from './testing/index.ts';

export function port(): { replies: Reply[]; postMessage(m: Reply): void } {
  return {
    replies: [],
    postMessage(m) {
      this.replies.push(m);
    },
  };
}

/** A host over a MemoryStore with a scripted transport; `more.platform` is merged into the test platform. */
export function host(more: FerryHostOptions = {}) {
  const store = new MemoryStore();
  const transport = new ScriptedTransport();
  const channel = testChannel<ChangeMessage>();
  const registered: string[] = [];
  const h = new FerryHost({
    storage: { store: async () => store },
    transport,
    logger: { level: 'silent' },
    ...more,
    platform: testPlatform({
      locks: () => testLocks(),
      channel: () => channel,
      backgroundSync: () => ({ register: async (tag) => void registered.push(tag) }),
      ...more.platform,
    }),
  });
  return { h, store, transport, channel, registered };
}

export const op = { kind: 'message.send', target: '/api/m', payload: { text: 'hi' } };
