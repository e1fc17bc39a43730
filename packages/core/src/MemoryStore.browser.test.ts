// The core must run unchanged in a browser too: same conformance suite, real Chromium.
import { MemoryStore } from './MemoryStore.ts';
import { storeConformance } from './testing/storeConformance.ts';

storeConformance('MemoryStore in Chromium', () => {
  let last: MemoryStore | undefined;
  return {
    open: async () => (last = new MemoryStore(last ? { data: last.data } : {})),
    corrupt: async (id, raw) => void last!.data.ops.set(id, raw),
  };
});
